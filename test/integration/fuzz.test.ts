// Property-based fuzzing of a real gateway (MQTT over TCP, HTTP, a real influxd), all on
// 127.0.0.1. Seeded and bounded: the same inputs every run, a fixed number of them, and a
// time limit per property. What must hold whatever arrives: the gateway keeps running, no
// promise rejection goes unhandled, every HTTP answer is a success or a documented JSON
// error, and every reading the gateway counted as accepted is in InfluxDB.
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../gateway/src/api/errors.js';
import { seriesRows } from '../../gateway/src/storage/index.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { counter } from '../helpers/security.js';

const SEED = 20_240_601;
const TIME_LIMIT_MS = 15_000;

let influx: TestInfluxd;
let gw: TestGateway;
let device: MqttClient;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  influx = await startTestInfluxd();
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database });
  device = await gw.connect('gas-01');
});

afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

const TELEMETRY = 'sites/hb-chem-001/devices/gas-01/telemetry';
const CHANNELS = ['telemetry', 'vision', 'status'].map((c) => `sites/hb-chem-001/devices/gas-01/${c}`);

// Messages are numbered so that every metric name a message can get accepted is unique to it:
// two accepted messages stamped with the same millisecond then merge into one InfluxDB point
// without overwriting each other, and counting stored fields counts stored readings.
let seq = 0;
const BASE_TS = Date.now() - 60_000;

const anyValue = fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
const validName = fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/);
// Mostly valid parts, so that about half the messages are accepted and reach storage.
const metricKey = fc.oneof(
  { weight: 19, arbitrary: validName.map((n) => ({ valid: true, n })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }).map((n) => ({ valid: false, n })) },
);
const metricValue = fc.oneof({ weight: 19, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) }, { weight: 1, arbitrary: anyValue });
const tsMode = fc.constantFrom('unique', 'unique', 'unique', 'unique', 'unique', 'missing', 'far-past', 'far-future', 'junk');
const flagValue = fc.oneof({ weight: 9, arbitrary: fc.constantFrom('N', 'S', 'F', 'M', 'D', 'C', 'T', 'B') }, { weight: 1, arbitrary: fc.string({ maxLength: 2 }) });

const nearTelemetry = fc.record(
  {
    ts: tsMode,
    junkTs: anyValue,
    metrics: fc.array(fc.tuple(metricKey, metricValue), { maxLength: 6 }),
    flagged: fc.array(fc.tuple(fc.nat(7), flagValue), { maxLength: 3 }),
    // fc.option's freq is the odds of null (1 in freq): extra keys in one message of 15.
    extra: fc.oneof({ weight: 14, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), anyValue, { maxKeys: 2 }) }),
  },
  { requiredKeys: ['ts', 'junkTs', 'metrics', 'flagged'] },
);

type NearTelemetry = typeof nearTelemetry extends fc.Arbitrary<infer T> ? T : never;

function telemetryPayload(p: NearTelemetry, n: number): string {
  const names = p.metrics.map(([k], i) => (k.valid ? `m${n}_${i}_${k.n}`.slice(0, 64) : k.n));
  const metrics: Record<string, unknown> = {};
  p.metrics.forEach(([, v], i) => (metrics[names[i]!] = v));
  const body: Record<string, unknown> = { metrics };
  const ts = { unique: BASE_TS + n, missing: undefined, 'far-past': 1000, 'far-future': Date.now() + 365 * 86_400_000, junk: p.junkTs }[p.ts];
  if (ts !== undefined) body.ts = ts;
  if (p.flagged.length) body.flags = Object.fromEntries(p.flagged.map(([i, f]) => [names[i % Math.max(1, names.length)] ?? 'gas_lel', f]));
  if (p.extra) Object.assign(body, p.extra);
  return JSON.stringify(body);
}

const nearVision = fc.record({
  camera: fc.oneof(fc.constant('cam-01'), fc.string({ maxLength: 10 })),
  detections: fc.array(
    fc.record({
      type: fc.oneof(fc.constantFrom('smoke', 'fire', 'no_helmet', 'intrusion'), fc.string({ maxLength: 10 })),
      confidence: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), anyValue),
      bbox: fc.option(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), anyValue), { maxLength: 5 })),
    }),
    { maxLength: 4 },
  ),
  snapshot: fc.option(fc.string({ maxLength: 30 })),
});

const nearStatus = fc.record({ online: fc.oneof(fc.boolean(), anyValue), ts: fc.option(anyValue), extra: fc.option(fc.jsonValue({ maxDepth: 3 })) });

async function publish(topic: string, payload: string | Uint8Array): Promise<void> {
  await device.publishAsync(topic, Buffer.from(payload), { qos: 1 });
}

const runOptions = (numRuns: number, offset: number) => ({ seed: SEED + offset, numRuns, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false, endOnFailure: true });

describe('fuzzing MQTT payloads from a connected device', () => {
  it('keeps the device connected through arbitrary JSON on every channel', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHANNELS), fc.jsonValue({ maxDepth: 6 }), async (topic, json) => {
        await publish(topic, JSON.stringify(json));
        expect(device.connected).toBe(true);
      }),
      runOptions(600, 1),
    );
  });

  it('keeps the device connected through near-valid telemetry with random keys and values', async () => {
    await fc.assert(
      fc.asyncProperty(nearTelemetry, async (p) => {
        await publish(TELEMETRY, telemetryPayload(p, ++seq));
        expect(device.connected).toBe(true);
      }),
      runOptions(1500, 2),
    );
  });

  it('keeps the device connected through near-valid vision and status messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearVision.map((v) => [CHANNELS[1]!, v] as const), nearStatus.map((s) => [CHANNELS[2]!, s] as const)), async ([topic, body]) => {
        await publish(topic, JSON.stringify(body));
        expect(device.connected).toBe(true);
      }),
      runOptions(500, 3),
    );
  });

  it('keeps the device connected through random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHANNELS), fc.uint8Array({ maxLength: 2048 }), async (topic, bytes) => {
        await publish(topic, bytes);
        expect(device.connected).toBe(true);
      }),
      runOptions(500, 4),
    );
  });

  it('stores in InfluxDB every reading it counted as accepted', async () => {
    const accepted = await counter(gw, 'gateway_readings_total');
    expect(accepted).toBeGreaterThan(100);
    expect(await gw.gateway.history.flush(15_000)).toBe(true);
    const [result] = await influx.query(`SELECT COUNT(*) FROM "telemetry" WHERE "device" = 'gas-01'`);
    const row = result?.series.flatMap(seriesRows)[0] ?? {};
    const stored = Object.entries(row)
      // Every field but the two a telemetry line adds itself is one stored reading.
      .filter(([k]) => k.startsWith('count_') && k !== 'count_flags' && k !== 'count_skewed')
      .reduce((sum, [, v]) => sum + Number(v), 0);
    expect(stored).toBe(accepted);
    expect(await counter(gw, 'gateway_influx_failed_total')).toBe(0);
  });
});

// Paths, queries and bodies: built from the API's own words and ids, and from anything at all.
const ROUTES = [
  '/api/events', '/api/events/:ev', '/api/events/:ev/acknowledge', '/api/events/:ev/comments', '/api/events/:ev/resolve', '/api/events/:ev/close',
  '/api/events/export', '/api/events/stream', '/api/sites', '/api/readings', '/api/audit', '/api/audit/verify', '/api/me',
  '/api/users', '/api/users/:usr', '/api/webhooks', '/api/webhooks/:wh', '/api/webhooks/:wh/deliveries',
  '/api/rules', '/api/rules/reload', '/api/maintenance', '/api/maintenance/:mw', '/api/maintenance/:mw/end',
];
const SEGMENTS = [...new Set(ROUTES.flatMap((r) => r.split('/')).filter((s) => s && !s.startsWith(':')))];
const IDS = ['ev-000000000-0000000000', 'usr-000000000000', 'wh-000000000000', 'mw-000000000000', 'hb-chem-001', 'gas-01', '..', '%2e%2e', '%00', '', '__proto__', 'constructor', '%ZZ'];
const anySegment = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...SEGMENTS) },
  { weight: 2, arbitrary: fc.constantFrom(...IDS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
);
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const PARAMS: Record<string, fc.Arbitrary<string>> = {
  ':ev': fc.oneof(fc.tuple(fc.string({ unit: fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyz'), minLength: 9, maxLength: 9 }), hex(10)).map(([a, b]) => `ev-${a}-${b}`), anySegment),
  ':usr': fc.oneof(hex(12).map((h) => `usr-${h}`), anySegment),
  ':wh': fc.oneof(hex(12).map((h) => `wh-${h}`), anySegment),
  ':mw': fc.oneof(hex(12).map((h) => `mw-${h}`), anySegment),
};
// Mostly the API's own routes with plausible or hostile ids; sometimes any path under /api.
const apiPath = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(...ROUTES).chain((route) => {
      const parts = route.split('/').map((p) => PARAMS[p] ?? fc.constant(p));
      return fc.tuple(...parts).map((ps) => ps.join('/'));
    }),
  },
  { weight: 1, arbitrary: fc.array(anySegment, { maxLength: 4 }).map((segs) => `/api${segs.length ? '/' : ''}${segs.join('/')}`) },
);
const QUERY_KEYS = ['site', 'device', 'metric', 'limit', 'since', 'until', 'cursor', 'state', 'severity', 'after', 'before', 'format', 'item', '__proto__'];
const queryValue = fc.oneof(
  fc.constantFrom('hb-chem-001', 'mine-007', 'gas-01', 'gas_lel', '0', '1', '-1', '1000000', '1e9', 'NaN', "x' OR 1=1--", '2025-01-01T00:00:00Z', 'open', 'critical', ''),
  fc.string({ maxLength: 16 }),
  fc.integer().map(String),
);
const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 6 })), queryValue), { maxLength: 4 });
const method = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS');
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({ name: fc.string({ maxLength: 10 }), role: fc.constantFrom('viewer', 'operator', 'supervisor', 'admin', 'root'), sites: fc.option(fc.array(fc.constantFrom('hb-chem-001', 'mine-007', 'x'))) }).map((v) => JSON.stringify(v)),
  fc.record({ note: fc.option(fc.string({ maxLength: 20 })), disposition: fc.option(fc.constantFrom('rectified', 'false_alarm', 'x')) }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
);
const body = fc.option(fc.tuple(fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream'), jsonBody), { freq: 3 });

describe('fuzzing the HTTP API with the admin token', () => {
  it('answers every request with a success or a documented JSON error of status 4xx', async () => {
    const codes = Object.keys(ERRORS);
    await fc.assert(
      fc.asyncProperty(method, apiPath, query, body, async (m, p, q, b) => {
        const qs = q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const path = `${p}${qs ? `?${qs}` : ''}`;
        const withBody = b !== null && m !== 'GET' && m !== 'HEAD';
        // Nothing the fuzzer sends may make the gateway call out: no URL ever reaches a body.
        fc.pre(!withBody || !b[1].includes('://'));
        const res = await fetch(`${gw.httpUrl}${path}`, {
          method: m,
          headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(withBody ? { 'content-type': b[0] } : {}) },
          ...(withBody ? { body: b[1] } : {}),
          signal: AbortSignal.timeout(5000),
        });
        const where = `${m} ${path} -> ${res.status}`;
        if (res.status >= 200 && res.status < 300) {
          // Streams (SSE, export) answer 200 and stay open: the status is enough.
          await res.body?.cancel();
          return;
        }
        expect(res.status, where).toBeGreaterThanOrEqual(400);
        expect(res.status, where).toBeLessThan(500);
        if (m === 'HEAD') return;
        expect(res.headers.get('content-type'), where).toMatch(/^application\/json/);
        const json = (await res.json()) as { error?: { code?: string; message?: string } };
        expect(json.error?.code, where).toMatch(/^GW_/);
        expect(codes, where).toContain(json.error!.code);
        expect(ERRORS[json.error!.code as keyof typeof ERRORS].status, where).toBe(res.status);
        expect(typeof json.error?.message, where).toBe('string');
      }),
      runOptions(700, 5),
    );
  });
});

describe('after the fuzzing', () => {
  it('is still serving: /healthz answers 200 and the fuzzed device publishes a reading', async () => {
    expect((await gw.api('/healthz', { token: null })).status).toBe(200);
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"');
    await publish(TELEMETRY, JSON.stringify({ metrics: { temperature: 20 } }));
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"')).toBe(before + 1);
  });

  it('saw no unhandled promise rejection nor uncaught exception', () => {
    expect(unhandled).toEqual([]);
  });
});
