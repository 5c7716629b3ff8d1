import { describe, expect, it } from 'vitest';
import { Harness, brief, compileRules, sec } from './helpers.js';

const rate = compileRules({
  id: 'temp-rise',
  item: 'T-01',
  title: 'Temperature rising',
  kind: 'rate',
  match: { metric: 'temperature' },
  per: '1m',
  levels: [
    { severity: 'major', gte: 10 },
    { severity: 'warning', gte: 5 },
  ],
});

describe('rate rules', () => {
  it('compares the change per `per` between consecutive readings', () => {
    const h = new Harness(rate);
    // +3 degrees in 30 s is 6 per minute.
    const out = h.series([[0, 20], [30, 23]], { metric: 'temperature' });
    expect(out[0]).toMatchObject({ type: 'raised', severity: 'warning', value: 6, threshold: 5 });
    expect(out[0]!.message).toBe('temperature change 6 degC per 1m >= 5 (warning) at hb-chem-001/gas-01');
  });

  it('does not evaluate the first reading of a series', () => {
    const h = new Harness(rate);
    expect(h.read(1000, sec(0), { metric: 'temperature' })).toEqual([]);
  });

  it('escalates as the rise steepens and resolves when it flattens', () => {
    const h = new Harness(rate);
    const out = h.series([[0, 20], [60, 26], [120, 40], [180, 40]], { metric: 'temperature' });
    expect(brief(out)).toEqual(['raised:warning@60', 'escalated:major@120', 'resolved:major@180']);
  });

  it('skips a reading at the same instant as the previous one', () => {
    const h = new Harness(rate);
    expect(h.series([[0, 20], [0, 90]], { metric: 'temperature' })).toEqual([]);
  });

  it('takes the rate from the last valid reading, skipping an invalid one', () => {
    const h = new Harness(rate);
    h.read(20, sec(0), { metric: 'temperature' });
    h.read(500, sec(30), { metric: 'temperature', valid: false });
    // 20 -> 22 over 60 s: 2 per minute, no level holds.
    expect(h.read(22, sec(60), { metric: 'temperature' })).toEqual([]);
  });

  it('catches a falling rate with an lte level', () => {
    const h = new Harness(
      compileRules({ id: 'drop', item: 'T-01', title: 'Pressure drop', kind: 'rate', match: { metric: 'pressure' }, per: '10s', levels: [{ severity: 'major', lte: -0.1 }] }),
    );
    expect(brief(h.series([[0, 1.0], [10, 0.8]], { metric: 'pressure' }))).toEqual(['raised:major@10']);
  });
});
