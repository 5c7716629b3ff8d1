import { describe, expect, it } from 'vitest';
import type { Aggregate } from '../../../gateway/src/rules/index.js';
import { Harness, brief, compileRules, min, sec } from './helpers.js';

function windowRule(aggregate: Aggregate, level: number, window = '15m') {
  return compileRules({
    id: 'pm10-window',
    item: 'T-02',
    title: 'PM10 average',
    kind: 'window',
    match: { sector: 'construction', metric: 'pm10' },
    window,
    aggregate,
    levels: [{ severity: 'warning', gt: level }],
  });
}
const SITE = { sector: 'construction' as const, site: 'cs-01', device: 'dust-01', metric: 'pm10' };

describe('window rules', () => {
  it('raises when the average over the window goes over the level', () => {
    const h = new Harness(windowRule('avg', 150));
    expect(h.series([[0, 100], [60, 190]], SITE)).toEqual([]); // avg 145
    const [t] = h.read(200, sec(120), SITE); // avg 163.3
    expect(t).toMatchObject({ type: 'raised', threshold: 150 });
    expect(t!.value).toBeCloseTo(163.333, 3);
    expect(t!.message).toBe('pm10 avg over 15m 163.333 ug/m3 > 150 (warning) at cs-01/dust-01');
  });

  it('leaves out a reading exactly one window old', () => {
    const h = new Harness(windowRule('count', 2, '10m'));
    h.read(1, min(0), SITE);
    h.read(1, min(5), SITE);
    // At 10m the reading from 0m is exactly 10 minutes old: out. Count is 2, not 3.
    expect(h.read(1, min(10), SITE)).toEqual([]);
  });

  it('keeps a reading just under one window old', () => {
    const h = new Harness(windowRule('count', 2, '10m'));
    h.read(1, min(0) + 1, SITE);
    h.read(1, min(5), SITE);
    expect(brief(h.read(1, min(10), SITE))).toEqual(['raised:warning@600']);
  });

  it('resolves once high readings fall out of the window', () => {
    const h = new Harness(windowRule('max', 150, '5m'));
    h.read(300, min(0), SITE);
    expect(h.read(10, min(4), SITE)).toEqual([]);
    expect(brief(h.read(10, min(5), SITE))).toEqual(['resolved:warning@300']);
  });

  it('aggregates min and sum over the window', () => {
    const minRule = new Harness(compileRules({ id: 'low', item: 'T-02', title: 'Low', kind: 'window', match: { metric: 'pm10' }, window: '1m', aggregate: 'min', levels: [{ severity: 'info', gt: 50 }] }));
    expect(minRule.series([[0, 60], [10, 40]], SITE).map((t) => t.type)).toEqual(['raised', 'resolved']);
    const sum = new Harness(windowRule('sum', 250, '1m'));
    const out = sum.series([[0, 100], [20, 100], [40, 100]], SITE);
    expect(out[0]).toMatchObject({ type: 'raised', value: 300, at: sec(40) });
  });

  it('keeps a long stream bounded to the window', () => {
    const h = new Harness(windowRule('avg', 150, '1m'));
    for (let s = 0; s < 5000; s++) h.read(100, sec(s), SITE);
    const buf = h.state.devices.get('dust-01')!.rules.get('pm10-window')!.aux!.get('pm10') as { ts: number[]; head: number };
    expect(buf.ts.length - buf.head).toBe(60);
    expect(buf.ts.length).toBeLessThan(200);
  });

  it('keeps at most 600 buckets however fast readings come, with the average still exact', () => {
    const h = new Harness(windowRule('avg', 1000, '1m'));
    let out: ReturnType<typeof h.read> = [];
    // 20 readings a second for 3 minutes: 3,600 readings, 1,200 of them inside the window.
    for (let i = 0; i < 3600; i++) out = h.read(i % 2 === 0 ? 100 : 200, 50 * i, SITE);
    const buf = h.state.devices.get('dust-01')!.rules.get('pm10-window')!.aux!.get('pm10') as { ts: number[]; head: number; count: number; sum: number };
    expect(buf.ts.length - buf.head).toBeLessThanOrEqual(600);
    expect(buf.count).toBe(1200);
    expect(buf.sum / buf.count).toBe(150);
    expect(out).toEqual([]);
  });

  it('does not add invalid readings to the window', () => {
    const h = new Harness(windowRule('count', 1, '1m'));
    h.read(1, sec(0), SITE);
    expect(h.read(1, sec(1), { ...SITE, valid: false })).toEqual([]);
  });
});
