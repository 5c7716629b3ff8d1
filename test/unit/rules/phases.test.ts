import { describe, expect, it } from 'vitest';
import { restoreState, serializeState, StateSnapshotError, type EngineState } from '../../../gateway/src/rules/index.js';
import { GAS, Harness, CAM, compileRules, detection, sec } from './helpers.js';

// Offline and detection keys have named phases (issue 11); the saved state shows them.
const rules = compileRules(
  { id: 'off', item: 'T-01', title: 'Silent', kind: 'offline', match: { sector: 'hazardous_chemicals' }, after: '5m', severity: 'major' },
  { id: 'helmet', item: 'T-01', title: 'No helmet', kind: 'detection', match: { sector: 'hazardous_chemicals', kind: 'camera' }, types: ['no_helmet'], minConfidence: 0.7, count: 2, within: '60s', clearAfter: '5m', cooldown: '10m', severity: 'warning' },
);
const OFF_KEY = 'off|hb-chem-001|gas-01';
const HELMET_KEY = 'helmet|hb-chem-001|cam-01|cam-01|no_helmet';

type Saved = { format: number; devices: { device: string; offline: { rule: string; phase?: string; open: unknown; released: boolean }[] }[]; detections: { key: string; phase?: string; open: unknown }[] };
const saved = (state: EngineState): Saved => JSON.parse(serializeState(state));
const offlineOf = (s: Saved) => s.devices.find((d) => d.device === GAS.device)?.offline.find((o) => o.rule === 'off');
const detectionOf = (s: Saved) => s.detections.find((d) => d.key === HELMET_KEY);

describe('offline key phases', () => {
  it('is firing once the silence reaches `after`, and idle (not saved) again when the device speaks', () => {
    const h = new Harness(rules);
    h.input({ type: 'seen', ref: GAS }, sec(0));
    h.tick(sec(300));
    expect(offlineOf(saved(h.state))).toMatchObject({ phase: 'firing', released: false });
    h.input({ type: 'seen', ref: GAS }, sec(301));
    expect(offlineOf(saved(h.state))).toBeUndefined();
  });

  it('is released after a person resolves it, and that survives a restore until the device speaks', () => {
    const h = new Harness(rules);
    h.input({ type: 'seen', ref: GAS }, sec(0));
    h.tick(sec(300));
    h.input({ type: 'release', key: OFF_KEY }, sec(310));
    expect(offlineOf(saved(h.state))).toMatchObject({ phase: 'released', open: null, released: true });
    const restored = new Harness(rules);
    restored.state = restoreState(serializeState(h.state), rules);
    expect(restored.tick(sec(10_000))).toEqual([]);
    restored.input({ type: 'seen', ref: GAS }, sec(10_001));
    expect(restored.tick(sec(10_301)).map((t) => t.type)).toEqual(['raised']);
  });

  it('derives the phase of a saved offline key that has none (a snapshot from before the phases)', () => {
    const h = new Harness(rules);
    h.input({ type: 'seen', ref: GAS }, sec(0));
    h.tick(sec(300));
    h.input({ type: 'release', key: OFF_KEY }, sec(310));
    const snap = saved(h.state);
    delete offlineOf(snap)!.phase;
    expect(offlineOf(saved(restoreState(JSON.stringify(snap), rules)))?.phase).toBe('released');
  });

  it('refuses a saved offline key whose phase contradicts its open event', () => {
    const h = new Harness(rules);
    h.input({ type: 'seen', ref: GAS }, sec(0));
    h.tick(sec(300));
    const snap = saved(h.state);
    offlineOf(snap)!.phase = 'idle';
    expect(() => restoreState(JSON.stringify(snap), rules)).toThrow(StateSnapshotError);
  });
});

describe('detection key phases', () => {
  const cam = (ts: number) => detection('no_helmet', ts, 0.9, { site: CAM.site, device: CAM.device });

  it('is idle while it counts, firing once `count` are within `within`, and idle again after clearAfter', () => {
    const h = new Harness(rules);
    h.detect([cam(sec(0))], sec(0));
    expect(detectionOf(saved(h.state))).toMatchObject({ phase: 'idle', open: null });
    h.detect([cam(sec(10))], sec(10));
    expect(detectionOf(saved(h.state))).toMatchObject({ phase: 'firing' });
    expect(h.tick(sec(310)).map((t) => t.type)).toEqual(['resolved']);
    expect(detectionOf(saved(h.state))).toMatchObject({ phase: 'idle', open: null, times: [] });
  });

  it('keeps the cooldown of the last raise across a release', () => {
    const h = new Harness(rules);
    h.detect([cam(sec(0)), cam(sec(1))], sec(1));
    h.input({ type: 'release', key: HELMET_KEY }, sec(2));
    expect(detectionOf(saved(h.state))?.phase).toBe('idle');
    expect(h.detect([cam(sec(3)), cam(sec(4))], sec(4))).toEqual([]);
    expect(h.detect([cam(sec(601)), cam(sec(602))], sec(602)).map((t) => t.type)).toEqual(['raised']);
  });

  it('refuses a saved detection key that is firing without an open event', () => {
    const h = new Harness(rules);
    h.detect([cam(sec(0))], sec(0));
    const snap = saved(h.state);
    detectionOf(snap)!.phase = 'firing';
    expect(() => restoreState(JSON.stringify(snap), rules)).toThrow(StateSnapshotError);
  });
});
