import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../gateway/src/ingest/index.js';
import { parseTopic } from '../../../gateway/src/protocol/index.js';
import { createGenerator, type SimMessage } from '../../../device-sim/src/index.js';
import { matchesTarget, parseScenario, ScenarioError } from '../../../device-sim/src/scenarios.js';

type Telemetry = { ts: number; metrics: Record<string, number> };
type Vision = { detections: { type: string; confidence: number }[] };

const readingsOf = (ms: SimMessage[], device: string) => ms.filter((m) => m.device === device && m.channel !== 'status');

describe('parseScenario', () => {
  it('reads name, parameters and durations', () => {
    expect(parseScenario('leak:metric=gas_lel,to=60,over=30s')).toMatchObject({ name: 'leak', metric: 'gas_lel', to: 60, over: 30_000, at: 0 });
  });

  it('reads the devices a scenario targets before "="', () => {
    expect(parseScenario('gas-01,sim-0002-*=silent:for=5s')).toMatchObject({ name: 'silent', targets: ['gas-01', 'sim-0002-*'], at: 10_000, for: 5_000 });
  });

  it('takes a scenario without parameters', () => {
    expect(parseScenario('stuck')).toMatchObject({ name: 'stuck', at: 0 });
  });

  it('reads a negative clock skew', () => {
    expect(parseScenario('skew:by=-10m')).toMatchObject({ name: 'skew', by: -600_000 });
    expect(parseScenario('skew:ms=1500')).toMatchObject({ name: 'skew', by: 1500 });
  });

  it('reads malformed kinds joined with "+"', () => {
    expect(parseScenario('malformed:share=0.3,kinds=bad_json+nan_string')).toMatchObject({ share: 0.3, kinds: ['bad_json', 'nan_string'] });
  });

  it.each([
    ['explode', /"explode" is not a scenario; use one of normal, leak/],
    ['leak:to=lots', /to: must be a number \(got "lots"\)/],
    ['leak:metric=gas', /metric: must be one of level, temperature/],
    ['leak:over=soon', /over: must be a positive duration such as 500ms/],
    ['leak:speed=3', /unknown parameter "speed"/],
    ['leak:to=1,to=2', /"to" is given twice/],
    ['leak:to', /"to" should be key=value/],
    ['burst:type=ufo', /type: /],
    ['burst:conf=1.5', /conf: must be a number from 0 to 1/],
    ['malformed:share=2', /share: must be a fraction from 0 to 1/],
    ['malformed:kinds=bad_json+rude', /"rude" is not one of bad_json, wrong_type, nan_string/],
    ['skew', /give the skew as by=<duration>/],
    ['a/b=silent', /target "a\/b" is not a device id/],
  ])('refuses %j with a readable message', (text, message) => {
    expect(() => parseScenario(text)).toThrow(ScenarioError);
    expect(() => parseScenario(text)).toThrow(message);
  });
});

describe('matchesTarget', () => {
  it('matches a device id, a site id or a glob', () => {
    const d = { site: 'sim-0001', device: 'sim-0001-tank-01' };
    expect(matchesTarget('sim-0001-tank-01', d)).toBe(true);
    expect(matchesTarget('sim-0001', d)).toBe(true);
    expect(matchesTarget('sim-*-tank-*', d)).toBe(true);
    expect(matchesTarget('sim-0002', d)).toBe(false);
  });
});

const tanks = { sites: 1, devicesPerSite: 2, sector: 'hazardous_chemicals', rate: 4, seed: 'scenario' } as const;

describe('the leak scenario', () => {
  it('takes its metric across the target within its ramp duration', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['sim-0001-tank-01=leak:metric=gas_lel,to=60,over=30s,at=5s'] }).take(200);
    const gas = readingsOf(ms, 'sim-0001-tank-01').map((m) => ({ at: m.at, v: (m.payload as Telemetry).metrics['gas_lel']! }));
    const crossed = gas.find((g) => g.v >= 60);
    expect(crossed).toBeDefined();
    expect(crossed!.at).toBeLessThanOrEqual(35_000);
    expect(gas.filter((g) => g.at < 5_000).every((g) => g.v <= 8)).toBe(true);
  });

  it('rises steadily rather than jumping', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['leak:to=60,over=30s'] }).take(200);
    const gas = readingsOf(ms, 'sim-0001-tank-01').map((m) => (m.payload as Telemetry).metrics['gas_lel']!).slice(0, 60);
    const halfway = gas[30]!; // 15 s into a 30 s ramp
    expect(halfway).toBeGreaterThan(20);
    expect(halfway).toBeLessThan(40);
  });

  it('holds at the target after the ramp', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['leak:to=60,over=10s'] }).take(200);
    const late = readingsOf(ms, 'sim-0001-tank-02').filter((m) => m.at > 12_000);
    for (const m of late) expect((m.payload as Telemetry).metrics['gas_lel']).toBeGreaterThanOrEqual(60);
  });
});

describe('the spike scenario', () => {
  it('lifts one reading to the target and lets the next fall back', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['sim-0001-tank-01=spike:metric=toxic_ppm,to=40,at=2s'] }).take(40);
    const toxic = readingsOf(ms, 'sim-0001-tank-01').map((m) => (m.payload as Telemetry).metrics['toxic_ppm']!);
    expect(toxic.filter((v) => v === 40)).toHaveLength(1);
  });

  it('repeats every period when asked', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['sim-0001-tank-01=spike:to=70,at=1s,every=5s'] }).take(100);
    const gas = readingsOf(ms, 'sim-0001-tank-01').map((m) => (m.payload as Telemetry).metrics['gas_lel']!);
    expect(gas.filter((v) => v === 70)).toHaveLength(5); // 24.5 s of readings: 1, 6, 11, 16, 21 s
  });
});

describe('the flap scenario', () => {
  it('oscillates above and below its level', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['flap:metric=gas_lel,level=25,amp=3,period=4s'] }).take(100);
    const gas = readingsOf(ms, 'sim-0001-tank-01').map((m) => (m.payload as Telemetry).metrics['gas_lel']!);
    expect(gas.filter((v) => v > 25).length).toBeGreaterThan(10);
    expect(gas.filter((v) => v < 25).length).toBeGreaterThan(10);
    expect(Math.max(...gas)).toBeLessThanOrEqual(28);
    expect(Math.min(...gas)).toBeGreaterThanOrEqual(22);
  });
});

describe('the stuck scenario', () => {
  it('freezes a metric at the given value', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['stuck:metric=pressure,value=0.2,at=2s'] }).take(100);
    const late = readingsOf(ms, 'sim-0001-tank-01').filter((m) => m.at >= 2000);
    expect(new Set(late.map((m) => (m.payload as Telemetry).metrics['pressure']))).toEqual(new Set([0.2]));
  });

  it('freezes every metric at its value at onset when none is named', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['stuck:at=1s'] }).take(100);
    const late = readingsOf(ms, 'sim-0001-tank-02').filter((m) => m.at >= 1000);
    expect(new Set(late.map((m) => JSON.stringify((m.payload as Telemetry).metrics))).size).toBe(1);
  });
});

describe('the silent scenario', () => {
  it('publishes nothing for the device during the window', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['sim-0001-tank-01=silent:at=2s,for=3s'] }).take(100);
    const mine = ms.filter((m) => m.device === 'sim-0001-tank-01');
    expect(mine.filter((m) => m.at >= 2000 && m.at < 5000)).toEqual([]);
    expect(ms.filter((m) => m.device === 'sim-0001-tank-02' && m.at >= 2000 && m.at < 5000).length).toBeGreaterThan(0);
  });

  it('says online again when the device returns', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['sim-0001-tank-01=silent:at=2s,for=3s'] }).take(100);
    const back = ms.filter((m) => m.device === 'sim-0001-tank-01' && m.at >= 5000);
    expect(back[0]).toMatchObject({ channel: 'status', payload: { online: true } });
    expect(back[1]!.channel).toBe('telemetry');
  });
});

describe('the burst scenario', () => {
  it('fills every frame of the window with confident detections of one type', () => {
    const ms = createGenerator({ sites: 1, devicesPerSite: 2, sector: 'food_service', seed: 'b', rate: 4, scenarios: ['burst:type=rat,conf=0.9,count=3,at=1s,for=2s'] }).take(60);
    const frames = ms.filter((m) => m.channel === 'vision' && m.at >= 1000 && m.at < 3000).map((m) => (m.payload as Vision).detections.filter((d) => d.type === 'rat'));
    expect(frames.length).toBeGreaterThan(0);
    for (const rats of frames) {
      expect(rats).toHaveLength(3);
      for (const r of rats) expect(r.confidence).toBeGreaterThan(0.8);
    }
  });

  it('uses a kitchen type in kitchens and a work-site type elsewhere by default', () => {
    const first = (sector: string) =>
      (createGenerator({ sites: 1, devicesPerSite: 1, camerasPerSite: 1, sector, seed: 'b', scenarios: ['burst'] }).take(2)[1]!.payload as Vision).detections.at(-1)!.type;
    expect(first('food_service')).toBe('no_chef_hat');
    expect(first('construction')).toBe('no_helmet');
  });
});

describe('the skew scenario', () => {
  it('shifts the payload ts by the given amount', () => {
    const plain = createGenerator({ ...tanks }).take(6);
    const skewed = createGenerator({ ...tanks, scenarios: ['skew:by=-10m'] }).take(6);
    for (let i = 1; i < 6; i += 2) {
      expect((skewed[i]!.payload as Telemetry).ts).toBe((plain[i]!.payload as Telemetry).ts - 600_000);
    }
  });
});

describe('the malformed scenario', () => {
  const ms = createGenerator({
    sites: 6,
    devicesPerSite: 2,
    camerasPerSite: 1,
    seed: 'broken',
    scenarios: ['malformed:share=0.2'],
  }).take(6000);
  const readings = ms.filter((m) => m.channel !== 'status');

  it('breaks about the share of readings asked for', () => {
    const share = readings.filter((m) => m.malformed).length / readings.length;
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.23);
  });

  it('uses every kind of breakage', () => {
    expect(new Set(readings.map((m) => m.malformed).filter(Boolean))).toEqual(new Set(['bad_json', 'wrong_type', 'nan_string']));
  });

  it('sends malformed messages as raw text the gateway rejects', () => {
    for (const m of readings.filter((r) => r.malformed)) {
      expect(typeof m.payload).toBe('string');
      const t = parseTopic(m.topic)!;
      const from = { site: t.site, device: t.device, sector: 'other' as const, kind: 'sensor' as const };
      const decoded = decodeMessage(m.topic, Buffer.from(m.payload as string), from, Date.now());
      expect(decoded.ok, `${m.malformed}: ${m.payload as string}`).toBe(false);
    }
  });

  it('leaves status messages intact', () => {
    for (const m of ms.filter((s) => s.channel === 'status')) expect(typeof m.payload).toBe('object');
  });
});

describe('scenario targets', () => {
  it('refuses a target that matches no device', () => {
    expect(() => createGenerator({ ...tanks, scenarios: ['nope=leak'] })).toThrow(/target "nope" matches no device or site/);
  });

  it('refuses a metric that no targeted sensor produces', () => {
    expect(() => createGenerator({ ...tanks, scenarios: ['leak:metric=ch4'] })).toThrow(/no targeted sensor produces ch4/);
  });

  it('applies untargeted scenarios to --scenario-devices only', () => {
    const ms = createGenerator({ ...tanks, scenarios: ['stuck:metric=level,value=50'], scenarioDevices: 'sim-0001-tank-02' }).take(40);
    const levels = (d: string) => new Set(readingsOf(ms, d).map((m) => (m.payload as Telemetry).metrics['level']));
    expect(levels('sim-0001-tank-02')).toEqual(new Set([50]));
    expect(levels('sim-0001-tank-01').size).toBeGreaterThan(1);
  });
});
