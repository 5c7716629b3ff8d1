import { describe, expect, it } from 'vitest';
import { createEngineState, rebase, restoreState, serializeState, StateSnapshotError, step } from '../../../gateway/src/rules/index.js';
import { GAS, Harness, brief, compileRules, detection, gasRule, min, sec } from './helpers.js';

describe('serializeState and restoreState', () => {
  it('make a for: 10m that had run 7 minutes raise 3 minutes after restore', () => {
    const rules = compileRules(gasRule({ for: '10m' }));
    const before = new Harness(rules);
    for (let m = 0; m <= 7; m++) before.read(30, min(m));
    const json = serializeState(before.state);
    const after = new Harness(rules);
    after.state = restoreState(json, rules);
    expect(after.read(30, min(9))).toEqual([]);
    expect(brief(after.read(30, min(10)))).toEqual(['raised:warning@600']);
  });

  it('produce plain JSON', () => {
    const h = new Harness(compileRules(gasRule()));
    h.read(30, sec(0));
    expect(() => JSON.parse(serializeState(h.state))).not.toThrow();
    expect(serializeState(restoreState(serializeState(h.state), h.rules))).toBe(serializeState(h.state));
  });

  it('keep open events, so a restored engine escalates and resolves them', () => {
    const rules = compileRules(gasRule());
    const h = new Harness(rules);
    h.read(30, sec(0));
    h.state = restoreState(serializeState(h.state), rules);
    expect(brief(h.series([[1, 60], [2, 0]]))).toEqual(['escalated:critical@1', 'resolved:critical@2']);
  });

  it('keep window buffers, offline clocks and detection counts', () => {
    const rules = compileRules(
      { id: 'w', item: 'T-01', title: 'W', kind: 'window', match: { metric: 'gas_lel' }, window: '1m', aggregate: 'count', levels: [{ severity: 'info', gte: 3 }] },
      { id: 'o', item: 'T-01', title: 'O', kind: 'offline', match: {}, after: '5m', severity: 'major' },
      { id: 'd', item: 'T-01', title: 'D', kind: 'detection', match: {}, types: ['smoking'], count: 2, severity: 'major' },
    );
    const h = new Harness(rules);
    h.input({ type: 'seen', ref: GAS }, sec(0));
    h.series([[0, 1], [10, 1]]);
    h.detect([detection('smoking', sec(10))], sec(10));
    h.state = restoreState(serializeState(h.state), rules);
    expect(brief(h.read(1, sec(20)))).toEqual(['raised:info@20']);
    expect(brief(h.detect([detection('smoking', sec(20))], sec(20)))).toEqual(['raised:major@20']);
    expect(h.tick(sec(300)).map((t) => t.rule)).toEqual(['o']);
  });

  it('drop the state of rules whose version changed', () => {
    const h = new Harness(compileRules(gasRule({ for: '10m' })));
    h.read(30, min(0));
    const changed = compileRules(gasRule({ for: '10m', levels: [{ severity: 'warning', gte: 26 }] }));
    const restored = restoreState(serializeState(h.state), changed);
    expect(restored.devices.get('gas-01')!.rules.size).toBe(0);
  });

  it('refuse a snapshot that is not one', () => {
    expect(() => restoreState('{"format":2}', compileRules(gasRule()))).toThrow(StateSnapshotError);
    expect(() => restoreState('nope', compileRules(gasRule()))).toThrow(StateSnapshotError);
  });
});

describe('rebase', () => {
  it('keeps the state of unchanged rules across a reload', () => {
    const old = compileRules(gasRule({ for: '10m' }), gasRule({ id: 'other', match: { metric: 'toxic_ppm' } }));
    const state = createEngineState();
    step(old, state, { type: 'reading', reading: { ...GAS, metric: 'gas_lel', value: 30, ts: min(0), receivedAt: min(0), skewed: false, valid: true } }, min(0));
    const next = compileRules(gasRule({ for: '10m' }), gasRule({ id: 'other', match: { metric: 'toxic_ppm' }, levels: [{ severity: 'major', gte: 1 }] }));
    const rebased = rebase(state, old, next);
    const out = step(next, rebased, { type: 'reading', reading: { ...GAS, metric: 'gas_lel', value: 30, ts: min(10), receivedAt: min(10), skewed: false, valid: true } }, min(10));
    expect(brief(out)).toEqual(['raised:warning@600']);
  });

  it('drops the state of a rule whose definition changed, open event included', () => {
    const old = compileRules(gasRule());
    const h = new Harness(old);
    h.read(30, sec(0));
    const next = compileRules(gasRule({ levels: [{ severity: 'warning', gte: 20 }] }));
    const rebased = rebase(h.state, old, next);
    // A fresh state for the rule: the still-high reading raises under the new version.
    const out = step(next, rebased, { type: 'reading', reading: { ...GAS, metric: 'gas_lel', value: 30, ts: sec(1), receivedAt: sec(1), skewed: false, valid: true } }, sec(1));
    expect(out.map((t) => [t.type, t.ruleVersion])).toEqual([['raised', next.byId.get('gas')!.version]]);
  });
});
