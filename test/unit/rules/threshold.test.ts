import { describe, expect, it } from 'vitest';
import { Harness, T0, brief, compileRules, gasRule, sec } from './helpers.js';

describe('threshold rules', () => {
  it('raises when a reading reaches a gte level', () => {
    const h = new Harness(compileRules(gasRule()));
    const [t] = h.read(25, sec(0));
    expect(t).toMatchObject({ type: 'raised', severity: 'warning', value: 25, threshold: 25, at: sec(0), key: 'gas|hb-chem-001|gas-01', metric: 'gas_lel' });
  });

  it('writes a message a person can read', () => {
    const h = new Harness(compileRules(gasRule()));
    expect(h.read(55, sec(0))[0]!.message).toBe('gas_lel 55 %LEL >= 50 (critical) at hb-chem-001/gas-01');
  });

  it('does not raise at exactly a gt bound but raises just above it', () => {
    const h = new Harness(compileRules(gasRule({ levels: [{ severity: 'warning', gt: 25 }] })));
    expect(h.read(25, sec(0))).toEqual([]);
    expect(brief(h.read(25.001, sec(1)))).toEqual(['raised:warning@1']);
  });

  it('does not raise just below a gte bound', () => {
    const h = new Harness(compileRules(gasRule()));
    expect(h.read(24.999, sec(0))).toEqual([]);
  });

  it('treats lt and lte bounds the same way at the edge', () => {
    const lt = new Harness(compileRules(gasRule({ levels: [{ severity: 'warning', lt: 5 }] })));
    const lte = new Harness(compileRules(gasRule({ levels: [{ severity: 'warning', lte: 5 }] })));
    expect(lt.read(5, sec(0))).toEqual([]);
    expect(brief(lte.read(5, sec(0)))).toEqual(['raised:warning@0']);
  });

  it('raises outside a band on either side and not at its edges', () => {
    const h = new Harness(compileRules(gasRule({ levels: [{ severity: 'warning', outside: [10, 20] }] })));
    expect(h.series([[0, 10], [1, 20]])).toEqual([]);
    const [t] = h.read(9, sec(2));
    expect(t).toMatchObject({ type: 'raised', threshold: 10 });
  });

  it('requires every comparison of a combined level to hold', () => {
    const h = new Harness(compileRules(gasRule({ levels: [{ severity: 'warning', gte: 10, lt: 20 }] })));
    expect(h.read(25, sec(0))).toEqual([]);
    expect(brief(h.read(15, sec(1)))).toEqual(['raised:warning@1']);
  });

  it('raises the first level that holds, most severe first', () => {
    const h = new Harness(compileRules(gasRule()));
    expect(brief(h.read(60, sec(0)))).toEqual(['raised:critical@0']);
  });

  it('raises a for: 10s rule at the first reading 10 s after the run began', () => {
    const h = new Harness(compileRules(gasRule({ for: '10s' })));
    expect(h.series([[0, 30], [5, 30], [9.999, 30]])).toEqual([]);
    expect(brief(h.read(30, sec(10)))).toEqual(['raised:warning@10']);
  });

  it('restarts the for run when one reading breaks it', () => {
    const h = new Harness(compileRules(gasRule({ for: '10s' })));
    expect(h.series([[0, 30], [5, 30], [6, 10], [7, 30], [16, 30]])).toEqual([]);
    expect(brief(h.read(30, sec(17)))).toEqual(['raised:warning@17']);
  });

  it('raises with the severity of the level holding at the deciding reading', () => {
    const h = new Harness(compileRules(gasRule({ for: '10s' })));
    expect(brief(h.series([[0, 30], [5, 60], [10, 60]]))).toEqual(['raised:critical@10']);
  });

  it('resolves when no level holds if the rule has no clear', () => {
    const h = new Harness(compileRules(gasRule()));
    h.read(30, sec(0));
    const [t] = h.read(24, sec(1));
    expect(t).toMatchObject({ type: 'resolved', severity: 'warning', value: 24, threshold: null, at: sec(1) });
  });

  it('does not flap inside the hysteresis band between clear and the lowest level', () => {
    const h = new Harness(compileRules(gasRule({ levels: [{ severity: 'warning', gte: 25 }], clear: { lt: 20 } })));
    const out = h.series([
      [0, 25],
      [1, 20],
      [2, 24.9],
      [3, 25],
      [4, 21],
      [5, 25],
      [6, 20],
    ]);
    expect(brief(out)).toEqual(['raised:warning@0']);
    const [t] = h.read(19.9, sec(7));
    expect(t).toMatchObject({ type: 'resolved', threshold: 20 });
  });

  it('escalates an open event when a more severe level holds', () => {
    const h = new Harness(compileRules(gasRule()));
    expect(brief(h.series([[0, 30], [1, 55]]))).toEqual(['raised:warning@0', 'escalated:critical@1']);
  });

  it('never de-escalates an unresolved event', () => {
    const h = new Harness(compileRules(gasRule()));
    h.series([[0, 55]]);
    expect(h.series([[1, 30], [2, 30]])).toEqual([]);
    const [t] = h.read(10, sec(3));
    expect(t).toMatchObject({ type: 'resolved', severity: 'critical' });
  });

  it('raises a new event after the previous one resolved', () => {
    const h = new Harness(compileRules(gasRule()));
    expect(brief(h.series([[0, 30], [1, 10], [2, 30]]))).toEqual(['raised:warning@0', 'resolved:warning@1', 'raised:warning@2']);
  });

  it('resolves only when the clear condition has held for clearFor', () => {
    const h = new Harness(compileRules(gasRule({ clear: { lt: 20 }, clearFor: '30s' })));
    h.read(30, sec(0));
    expect(h.series([[10, 10], [39, 10]])).toEqual([]);
    expect(brief(h.read(10, sec(40)))).toEqual(['resolved:warning@40']);
  });

  it('restarts clearFor when the value leaves the clear range', () => {
    const h = new Harness(compileRules(gasRule({ clear: { lt: 20 }, clearFor: '30s' })));
    h.read(30, sec(0));
    expect(h.series([[10, 10], [20, 22], [30, 10], [50, 10]])).toEqual([]);
    expect(brief(h.read(10, sec(60)))).toEqual(['resolved:warning@60']);
  });

  it('uses the device override over the site override and the site override over the rule', () => {
    const rules = compileRules(
      gasRule({
        overrides: [
          { device: 'gas-07', levels: [{ severity: 'critical', gte: 40 }] },
          { site: 'hb-chem-001', levels: [{ severity: 'major', gte: 30 }] },
        ],
      }),
    );
    const h = new Harness(rules);
    expect(brief(h.read(42, sec(0), { device: 'gas-07' }))).toEqual(['raised:critical@0']);
    expect(brief(h.read(42, sec(0), { device: 'gas-01' }))).toEqual(['raised:major@0']);
    expect(brief(h.read(42, sec(0), { site: 'other-site', device: 'gas-09' }))).toEqual(['raised:warning@0']);
  });

  it('does not evaluate a reading older than the last one evaluated for the device and metric', () => {
    const h = new Harness(compileRules(gasRule()));
    h.read(10, sec(10));
    expect(h.read(60, sec(5))).toEqual([]);
    expect(brief(h.read(60, sec(10)))).toEqual(['raised:critical@10']);
  });

  it('keeps ordering per metric, so an old reading of another metric is still evaluated', () => {
    const h = new Harness(compileRules(gasRule({ match: { sector: 'hazardous_chemicals', metric: ['gas_lel', 'toxic_ppm'] } })));
    h.read(10, sec(10));
    expect(brief(h.read(60, sec(5), { metric: 'toxic_ppm' }))).toEqual(['raised:critical@5']);
  });

  it('measures for on event time, not on arrival time', () => {
    const h = new Harness(compileRules(gasRule({ for: '10s' })));
    // Both arrive together (a buffered burst) but were measured 10 s apart.
    expect(h.read(30, sec(0), { receivedAt: sec(30) })).toEqual([]);
    expect(brief(h.read(30, sec(10), { receivedAt: sec(30) }))).toEqual(['raised:warning@10']);
  });

  it('evaluates a skewed reading at the arrival time ingest gave it, so later true-time readings before it are ignored', () => {
    const h = new Harness(compileRules(gasRule()));
    // The device clock was off; ingest replaced ts with the arrival time and marked it skewed.
    expect(brief(h.read(30, sec(100), { skewed: true, receivedAt: sec(100) }))).toEqual(['raised:warning@100']);
    expect(h.read(5, sec(90))).toEqual([]);
  });

  it('never compares an invalid reading', () => {
    const h = new Harness(compileRules(gasRule()));
    expect(h.read(99, sec(0), { valid: false })).toEqual([]);
  });

  it('does not let an invalid reading break a for run', () => {
    const h = new Harness(compileRules(gasRule({ for: '10s' })));
    h.read(30, sec(0));
    h.read(0, sec(5), { valid: false });
    expect(brief(h.read(30, sec(10)))).toEqual(['raised:warning@10']);
  });

  it('does not let an invalid reading resolve an open event', () => {
    const h = new Harness(compileRules(gasRule()));
    h.read(30, sec(0));
    expect(h.read(0, sec(1), { valid: false })).toEqual([]);
  });

  it('raises anew after a release while the violation continues', () => {
    const h = new Harness(compileRules(gasRule()));
    h.read(30, sec(0));
    expect(h.read(30, sec(1))).toEqual([]);
    h.input({ type: 'release', key: 'gas|hb-chem-001|gas-01' }, sec(2));
    expect(brief(h.read(30, sec(3)))).toEqual(['raised:warning@3']);
  });

  it('makes a released for rule wait its for again before raising anew', () => {
    const h = new Harness(compileRules(gasRule({ for: '10s' })));
    h.series([[0, 30], [10, 30]]);
    h.input({ type: 'release', key: 'gas|hb-chem-001|gas-01' }, sec(11));
    expect(h.series([[12, 30], [21, 30]])).toEqual([]);
    expect(brief(h.read(30, sec(22)))).toEqual(['raised:warning@22']);
  });

  it('keeps one event per device under one rule', () => {
    const h = new Harness(compileRules(gasRule()));
    const a = h.read(30, sec(0), { device: 'gas-01' });
    const b = h.read(30, sec(0), { device: 'gas-02' });
    expect([a[0]!.key, b[0]!.key]).toEqual(['gas|hb-chem-001|gas-01', 'gas|hb-chem-001|gas-02']);
  });

  it('ignores readings of other sectors, sites, devices and kinds than the match names', () => {
    const h = new Harness(compileRules(gasRule({ match: { sector: 'hazardous_chemicals', metric: 'gas_lel', site: ['hb-chem-001'], kind: 'sensor' } })));
    expect(h.read(60, sec(0), { sector: 'mining' })).toEqual([]);
    expect(h.read(60, sec(0), { site: 'x' })).toEqual([]);
    expect(h.read(60, sec(0), { kind: 'gateway' })).toEqual([]);
    expect(h.read(60, sec(0), { metric: 'toxic_ppm' })).toEqual([]);
  });

  it('carries the rule version, item and title on every transition', () => {
    const rules = compileRules(gasRule());
    const h = new Harness(rules);
    const [t] = h.read(30, T0);
    expect(t).toMatchObject({ rule: 'gas', ruleVersion: rules.byId.get('gas')!.version, item: 'T-01', title: 'Gas', sector: 'hazardous_chemicals' });
    expect(t!.ruleVersion).toMatch(/^[0-9a-f]{12}$/);
  });
});
