import { describe, expect, it } from 'vitest';
import type { RuleInput } from '../../../gateway/src/rules/index.js';
import { Harness, T0, brief, compileRules, detection, sec } from './helpers.js';

function helmet(over: Partial<RuleInput> = {}) {
  return compileRules({
    id: 'helmet',
    item: 'T-01',
    title: 'No helmet',
    kind: 'detection',
    match: { sector: 'hazardous_chemicals', kind: 'camera' },
    types: ['no_helmet'],
    minConfidence: 0.7,
    count: 3,
    within: '60s',
    clearAfter: '5m',
    cooldown: '10m',
    severity: 'warning',
    ...over,
  } as RuleInput);
}

describe('detection rules', () => {
  it('raises at the count-th confident detection within the window', () => {
    const h = new Harness(helmet());
    expect(h.detect([detection('no_helmet', sec(0))], sec(0))).toEqual([]);
    expect(h.detect([detection('no_helmet', sec(20))], sec(20))).toEqual([]);
    const [t] = h.detect([detection('no_helmet', sec(40), 0.8, { bbox: [1, 2, 3, 4], snapshot: 'https://x/s.jpg' })], sec(40));
    expect(t).toMatchObject({
      type: 'raised',
      key: 'helmet|hb-chem-001|cam-01|cam-01|no_helmet',
      camera: 'cam-01',
      detectionType: 'no_helmet',
      value: 3,
      threshold: 3,
      at: sec(40),
    });
    expect(t!.evidence).toEqual([
      { ts: sec(0), confidence: 0.9 },
      { ts: sec(20), confidence: 0.9 },
      { ts: sec(40), confidence: 0.8, bbox: [1, 2, 3, 4], snapshot: 'https://x/s.jpg' },
    ]);
  });

  it('ignores detections under minConfidence', () => {
    const h = new Harness(helmet({ count: 1 }));
    expect(h.detect([detection('no_helmet', sec(0), 0.69)], sec(0))).toEqual([]);
  });

  it('does not count detections older than the window', () => {
    const h = new Harness(helmet());
    h.detect([detection('no_helmet', sec(0))], sec(0));
    h.detect([detection('no_helmet', sec(30))], sec(30));
    expect(h.detect([detection('no_helmet', sec(60))], sec(60))).toEqual([]);
  });

  it('keeps one event per camera and type', () => {
    const h = new Harness(helmet({ count: 1, types: ['no_helmet', 'no_vest'] }));
    const out = h.detect([detection('no_helmet', sec(0)), detection('no_vest', sec(0)), detection('no_helmet', sec(0), 0.9, { camera: 'cam-02' })], sec(0));
    expect(out.map((t) => t.key)).toEqual(['helmet|hb-chem-001|cam-01|cam-01|no_helmet', 'helmet|hb-chem-001|cam-01|cam-01|no_vest', 'helmet|hb-chem-001|cam-01|cam-02|no_helmet']);
  });

  it('does not raise twice while the event is open', () => {
    const h = new Harness(helmet({ count: 1 }));
    h.detect([detection('no_helmet', sec(0))], sec(0));
    expect(h.detect([detection('no_helmet', sec(10))], sec(10))).toEqual([]);
  });

  it('resolves after clearAfter of gateway time without a detection', () => {
    const h = new Harness(helmet({ count: 1 }));
    h.detect([detection('no_helmet', sec(0))], sec(0));
    h.detect([detection('no_helmet', sec(100))], sec(100));
    expect(h.tick(sec(399))).toEqual([]);
    const [t] = h.tick(sec(400));
    expect(t).toMatchObject({ type: 'resolved', at: sec(400), value: 300, threshold: 300 });
  });

  it('does not raise again within the cooldown of the last raise', () => {
    const h = new Harness(helmet({ count: 1 }));
    h.detect([detection('no_helmet', sec(0))], sec(0));
    h.tick(sec(300));
    expect(h.detect([detection('no_helmet', sec(400))], sec(400))).toEqual([]);
    expect(brief(h.detect([detection('no_helmet', sec(600))], sec(600)))).toEqual(['raised:warning@600']);
  });

  it('raises anew after a release once the cooldown has passed', () => {
    const h = new Harness(helmet({ count: 1, cooldown: 0 }));
    h.detect([detection('no_helmet', sec(0))], sec(0));
    h.input({ type: 'release', key: 'helmet|hb-chem-001|cam-01|cam-01|no_helmet' }, sec(5));
    expect(brief(h.detect([detection('no_helmet', sec(6))], sec(6)))).toEqual(['raised:warning@6']);
  });

  it('caps the evidence at the last 20 detections', () => {
    const h = new Harness(helmet({ count: 25 }));
    let out: ReturnType<typeof h.detect> = [];
    for (let i = 0; i < 25; i++) out = h.detect([detection('no_helmet', sec(i))], sec(i));
    expect(out[0]!.evidence).toHaveLength(20);
    expect(out[0]!.evidence![0]!.ts).toBe(sec(5));
  });

  it('does not count a detection older than the last one counted for the key', () => {
    const h = new Harness(helmet({ count: 2 }));
    h.detect([detection('no_helmet', sec(10))], sec(10));
    expect(h.detect([detection('no_helmet', sec(5))], sec(11))).toEqual([]);
  });

  it('does not match detections from another sector', () => {
    const h = new Harness(helmet({ count: 1 }));
    expect(h.detect([detection('no_helmet', T0, 0.9, { sector: 'mining' })], T0)).toEqual([]);
  });
});
