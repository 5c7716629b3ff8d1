import { describe, expect, it } from 'vitest';
import { diffBacktest, type PastEvent } from '../../../gateway/src/rules/backtest.js';
import type { SimEvent } from '../../../gateway/src/rules/backtest-schema.js';

// The diff of two replay runs, on hand-made events of one key (rule r, site s, device d).
const sim = (raisedAt: number, resolvedAt: number | null, severity: SimEvent['severity'] = 'warning', device = 'd'): SimEvent => ({ key: `r|s|${device}`, rule: 'r', item: 'HC-01', site: 's', device, raisedAt, resolvedAt, severity });
const past = (id: string, raisedAt: number, resolvedAt: number | null, disposition: string | null, device = 'd'): PastEvent => ({ id, key: `r|s|${device}`, rule: 'r', site: 's', raisedAt, resolvedAt, disposition });
const base = { from: 0, to: 10_000, rules: new Set(['r']), points: 0, messages: 0, skippedPoints: 0 };

describe('backtest diff', () => {
  it('pairs overlapping events and counts the rest as removed or added', () => {
    const r = diffBacktest({ ...base, before: [sim(100, 200), sim(1000, 1100), sim(5000, 5100)], after: [sim(150, 250), sim(3000, 3100), sim(5000, 5100)], past: [] });
    expect(r.totals).toMatchObject({ before: 3, after: 3, removed: 1, added: 1, later: 1, earlier: 0 });
    expect(r.removed.map((e) => e.raisedAt)).toEqual([1000]);
    expect(r.added.map((e) => e.raisedAt)).toEqual([3000]);
    expect(r.changed).toEqual([{ before: sim(100, 200), after: sim(150, 250), raiseShiftMs: 50 }]);
  });

  it('counts a severity change of a paired event', () => {
    const r = diffBacktest({ ...base, before: [sim(100, 200, 'critical')], after: [sim(100, 200, 'warning')], past: [] });
    expect(r.totals).toMatchObject({ severityDown: 1, severityUp: 0, removed: 0 });
  });

  it('treats an unresolved event as lasting to the end', () => {
    const r = diffBacktest({ ...base, before: [sim(100, null)], after: [sim(9000, 9100)], past: [] });
    expect(r.totals).toMatchObject({ removed: 0, added: 0, later: 1 });
  });

  it('joins past dispositions: avoided false alarms and missed confirmed violations', () => {
    const r = diffBacktest({
      ...base,
      before: [sim(100, 200), sim(1000, 1100), sim(2000, 2100), sim(3000, 3100)],
      after: [sim(2000, 2100)],
      past: [past('fa', 100, 200, 'false_alarm'), past('cv', 1000, 1100, 'confirmed_violation'), past('kept', 2000, 2100, 'confirmed_violation'), past('none', 3000, 3100, null)],
    });
    expect(r.avoidedFalseAlarms.map((e) => e.id)).toEqual(['fa']);
    expect(r.missedConfirmed.map((e) => e.id)).toEqual(['cv']);
    expect(r.totals).toMatchObject({ avoidedFalseAlarms: 1, missedConfirmed: 1, pastFalseAlarms: 1, pastConfirmed: 2, unreproduced: 0 });
  });

  it('does not count a past event the rules in force do not raise again', () => {
    const r = diffBacktest({ ...base, before: [], after: [], past: [past('gone', 100, 200, 'false_alarm')] });
    expect(r.totals).toMatchObject({ avoidedFalseAlarms: 0, unreproduced: 1 });
  });

  it('leaves out past events of rules in neither set and outside the period', () => {
    const r = diffBacktest({ ...base, before: [sim(100, 200)], after: [], past: [{ ...past('sys', 100, 200, 'false_alarm'), rule: 'system.storage_backlog' }, past('late', 20_000, null, 'false_alarm')] });
    expect(r.totals).toMatchObject({ avoidedFalseAlarms: 0, pastFalseAlarms: 0, unreproduced: 0 });
  });

  it('puts rules that miss a confirmed violation first and cuts lists at the limit', () => {
    const before = [sim(100, 200, 'warning', 'a'), sim(300, 400, 'warning', 'b'), { ...sim(100, 200), rule: 'q', key: 'q|s|d' }];
    const r = diffBacktest({ ...base, rules: new Set(['r', 'q']), before, after: [], past: [{ ...past('cv', 100, 200, 'confirmed_violation'), rule: 'q', key: 'q|s|d' }], listLimit: 1 });
    expect(r.perRule.map((p) => p.rule)).toEqual(['q', 'r']);
    expect(r.removed).toHaveLength(1);
    expect(r.totals.removed).toBe(3);
  });
});
