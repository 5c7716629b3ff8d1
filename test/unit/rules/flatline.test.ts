import { describe, expect, it } from 'vitest';
import { Harness, brief, compileRules, min } from './helpers.js';

const flat = compileRules({
  id: 'stuck',
  item: 'T-01',
  title: 'Stuck gas detector',
  kind: 'flatline',
  match: { metric: 'gas_lel' },
  tolerance: 0.5,
  for: '30m',
  severity: 'info',
});

describe('flatline rules', () => {
  it('raises when the value moves less than the tolerance for the whole duration', () => {
    const h = new Harness(flat);
    for (let m = 0; m < 30; m++) expect(h.read(3 + (m % 2) * 0.4, min(m))).toEqual([]);
    const [t] = h.read(3.2, min(30));
    expect(t).toMatchObject({ type: 'raised', severity: 'info', threshold: 0.5, at: min(30) });
    expect(t!.value).toBeCloseTo(0.4, 9);
  });

  it('does not raise when the value moves by the tolerance or more', () => {
    const h = new Harness(flat);
    const out = [];
    for (let m = 0; m <= 60; m++) out.push(...h.read(m % 2 === 0 ? 3 : 3.5, min(m)));
    expect(out).toEqual([]);
  });

  it('resolves when the value moves again and counts a new run from there', () => {
    const h = new Harness(flat);
    h.read(3, min(0));
    expect(brief(h.read(3, min(30)))).toEqual(['raised:info@1800']);
    const [t] = h.read(5, min(31));
    expect(t).toMatchObject({ type: 'resolved', value: 2 });
    expect(h.read(5, min(60))).toEqual([]);
    expect(brief(h.read(5, min(61)))).toEqual(['raised:info@3660']);
  });

  it('follows a per-device tolerance override', () => {
    const h = new Harness(
      compileRules({ id: 'stuck', item: 'T-01', title: 'Stuck', kind: 'flatline', match: { metric: 'gas_lel' }, tolerance: 0.5, for: '30m', severity: 'info', overrides: [{ device: 'gas-01', tolerance: 0.1 }] }),
    );
    h.read(3, min(0));
    expect(h.read(3.3, min(30))).toEqual([]);
  });
});
