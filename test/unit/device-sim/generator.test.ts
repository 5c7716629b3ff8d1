import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../gateway/src/ingest/index.js';
import { parseTopic, statusPayloadSchema, telemetryPayloadSchema, visionPayloadSchema } from '../../../gateway/src/protocol/index.js';
import { METRICS, type Sector } from '../../../gateway/src/domain/index.js';
import { createGenerator, type SimMessage } from '../../../device-sim/src/index.js';
import { localHour } from '../../../device-sim/src/generator.js';

const fleet = { sites: 6, devicesPerSite: 3, camerasPerSite: 1, sector: 'mixed', rate: 20 } as const;
const bytes = (ms: SimMessage[]): string[] => ms.map((m) => `${m.topic} ${typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload)}`);

function sectorOf(site: string): Sector | undefined {
  // mixed fleets take sectors in turn, starting with hazardous_chemicals
  const order: Sector[] = ['hazardous_chemicals', 'mining', 'construction', 'pollution_source', 'food_service', 'fireworks'];
  return order[(Number(site.slice(4)) - 1) % order.length];
}

describe('createGenerator', () => {
  it('repeats the message sequence byte for byte for the same seed and options', () => {
    const a = createGenerator({ ...fleet, seed: 'repeat', scenarios: ['malformed:share=0.2', 'leak:over=10s'] }).take(2000);
    const b = createGenerator({ ...fleet, seed: 'repeat', scenarios: ['malformed:share=0.2', 'leak:over=10s'] }).take(2000);
    expect(bytes(a)).toEqual(bytes(b));
  });

  it('gives a different sequence for a different seed', () => {
    const a = createGenerator({ ...fleet, seed: 'one' }).take(200);
    const b = createGenerator({ ...fleet, seed: 'two' }).take(200);
    expect(bytes(a)).not.toEqual(bytes(b));
  });

  it('keeps the other devices unchanged when a scenario targets one device', () => {
    const plain = createGenerator({ ...fleet, seed: 's' }).take(500);
    const leaking = createGenerator({ ...fleet, seed: 's', scenarios: ['sim-0001-tank-01=leak:to=60,over=5s'] }).take(500);
    const others = (ms: SimMessage[]) => bytes(ms.filter((m) => m.device !== 'sim-0001-tank-01'));
    expect(others(leaking)).toEqual(others(plain));
  });

  it('stamps payloads from the virtual start time and the schedule', () => {
    const start = Date.parse('2025-06-01T00:00:00Z');
    const ms = createGenerator({ ...fleet, seed: 't', startTime: start, rate: 4 }).take(10).filter((m) => m.channel !== 'status');
    expect(ms.map((m) => (m.payload as { ts: number }).ts)).toEqual(ms.map((m) => start + m.at));
    expect(ms[1]!.at - ms[0]!.at).toBe(250);
  });

  it('starts with a fixed virtual clock when seeded, so timestamps repeat too', () => {
    const m = createGenerator({ ...fleet, seed: 'clock' }).take(2)[1]!;
    expect((m.payload as { ts: number }).ts).toBe(Date.parse('2025-01-01T00:00:00Z'));
  });

  it('sends {"online":true} before the first reading of each device', () => {
    const ms = createGenerator({ ...fleet, seed: 'hello' }).take(36);
    for (let i = 0; i < 36; i += 2) {
      expect(ms[i]!.channel).toBe('status');
      expect(ms[i]!.payload).toEqual({ online: true });
      expect(ms[i + 1]!.device).toBe(ms[i]!.device);
    }
  });

  it('publishes only payloads that pass the gateway schemas of their channel', () => {
    const ms = createGenerator({ ...fleet, seed: 'schemas', scenarios: ['burst:for=5s', 'skew:by=-2m', 'leak:over=20s'] }).take(5000);
    const schemas = { telemetry: telemetryPayloadSchema, vision: visionPayloadSchema, status: statusPayloadSchema };
    for (const m of ms) {
      const r = schemas[m.channel].safeParse(m.payload);
      expect(r.success, `${m.topic} ${JSON.stringify(m.payload)}`).toBe(true);
    }
  });

  it('publishes messages the gateway decodes without rejection', () => {
    const start = Date.now();
    const ms = createGenerator({ ...fleet, seed: 'decode', startTime: start }).take(1000);
    for (const m of ms) {
      const t = parseTopic(m.topic)!;
      const from = { site: t.site, device: t.device, sector: sectorOf(t.site)!, kind: m.channel === 'vision' ? ('camera' as const) : ('sensor' as const) };
      const decoded = decodeMessage(m.topic, Buffer.from(JSON.stringify(m.payload)), from, start + m.at);
      expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
    }
  });

  it('uses only catalogued metric names, each for a sector it belongs to', () => {
    const ms = createGenerator({ ...fleet, seed: 'names' }).take(400).filter((m) => m.channel === 'telemetry');
    for (const m of ms) {
      const sector = sectorOf(m.site)!;
      for (const name of Object.keys((m.payload as { metrics: object }).metrics)) {
        expect(METRICS[name], name).toBeDefined();
        if (sector !== 'food_service') expect(METRICS[name]!.sectors).toContain(sector);
      }
    }
  });

  it('sends vision with the camera id and a snapshot only when something was detected', () => {
    const ms = createGenerator({ ...fleet, seed: 'vision' }).take(6000).filter((m) => m.channel === 'vision');
    const payloads = ms.map((m) => m.payload as { camera: string; detections: unknown[]; snapshot?: string });
    expect(payloads.some((p) => p.detections.length > 0)).toBe(true);
    for (const [i, p] of payloads.entries()) {
      expect(p.camera).toBe(ms[i]!.device);
      expect(p.snapshot !== undefined).toBe(p.detections.length > 0);
    }
  });

  it('goes round the devices in registry order at the given rate', () => {
    const gen = createGenerator({ sites: 1, devicesPerSite: 3, sector: 'mining', seed: 'order', rate: 10 });
    const slots = Array.from({ length: 6 }, () => gen.nextSlot());
    expect(slots.map((s) => s.device.device)).toEqual(['sim-0001-mine-01', 'sim-0001-mine-02', 'sim-0001-mine-03', 'sim-0001-mine-01', 'sim-0001-mine-02', 'sim-0001-mine-03']);
    expect(slots.map((s) => s.at)).toEqual([0, 100, 200, 300, 400, 500]);
  });

  it('makes a status message on demand for shutting down', () => {
    const gen = createGenerator({ sites: 1, devicesPerSite: 1, sector: 'mining', seed: 'bye' });
    expect(gen.status('sim-0001-mine-01', false, 5)).toMatchObject({ topic: 'sites/sim-0001/devices/sim-0001-mine-01/status', payload: { online: false } });
  });
});

describe('localHour', () => {
  it('follows China Standard Time', () => {
    expect(localHour(Date.parse('2025-01-01T00:00:00Z'))).toBe(8);
    expect(localHour(Date.parse('2025-01-01T18:30:00Z'))).toBe(2.5);
  });
});
