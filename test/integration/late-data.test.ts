// Buffered and late readings (issue 12): a data logger that lost its uplink re-sends its buffer;
// every reading is stored at its own time and evaluated on it, events say when they were learned.
// Real influxd, real gateway, real MQTT clients over TCP.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start as startSim } from '../../device-sim/src/index.js';
import { seriesRows } from '../../gateway/src/storage/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

const SITE = 'ps-001';
const DEVICES = ['dtu-01', 'dtu-02', 'dtu-03', 'dtu-04', 'dtu-05', 'dtu-06', 'dtu-07', 'dtu-08', 'dtu-09', 'dtu-rec'];
const registry = {
  sites: [{ id: SITE, name: 'Example wastewater outfall', sector: 'pollution_source' as const, devices: DEVICES.map((id) => ({ id, kind: 'gateway' as const, secret: `${id}-secret` })) }],
};

// Rules of this file: an instant COD limit that stays open (clear far below), a sustained ammonia
// limit (`for` on event time) and a short offline rule, so minutes of outage fit in seconds. The
// shipped catalogue, risk model and inspection policy go beside them.
const SHIPPED = ['catalogue.yaml', 'risk.yaml', 'inspection-policy.yaml'];
const RULES = `rules:
  - id: late.cod-instant
    item: PS-01
    title: COD reading over the discharge limit
    kind: threshold
    match: { sector: pollution_source, metric: cod }
    levels: [{ severity: major, gt: 100 }]
    clear: { lt: 10 }
  - id: late.nh3n-sustained
    item: PS-02
    title: Ammonia nitrogen over the limit for 40 s
    kind: threshold
    match: { sector: pollution_source, metric: nh3n }
    for: 40s
    levels: [{ severity: warning, gt: 25 }]
    clear: { lt: 1 }
  - id: late.offline
    item: PS-05
    title: Data logger silent
    kind: offline
    match: { sector: pollution_source }
    after: 2s
    severity: warning
`;

const OVERDUE_MAJOR_MS = 3000;
const HOUR = 3_600_000;
let influx: TestInfluxd;
let gw: TestGateway;
let rulesDir: string;

function gatewayEnv(): Record<string, string> {
  return {
    INFLUX_URL: influx.url,
    INFLUX_DATABASE: influx.database,
    GATEWAY_RULES_DIR: rulesDir,
    GATEWAY_OVERDUE_MAJOR: `${OVERDUE_MAJOR_MS}ms`,
    GATEWAY_OVERDUE_WARNING: 'off',
  };
}

beforeAll(async () => {
  rulesDir = mkdtempSync(join(tmpdir(), 'gw-late-rules-'));
  for (const f of SHIPPED) copyFileSync(join('rules', f), join(rulesDir, f));
  writeFileSync(join(rulesDir, 'late.yaml'), RULES);
  influx = await startTestInfluxd();
  gw = await startTestGateway(gatewayEnv(), registry);
});

afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
  if (rulesDir) rmSync(rulesDir, { recursive: true, force: true });
});

const topic = (device: string) => `sites/${SITE}/devices/${device}/telemetry`;

async function rows(influxql: string): Promise<Record<string, unknown>[]> {
  const [result] = await influx.query(influxql);
  return result?.series.flatMap(seriesRows) ?? [];
}

async function stored(device: string, metric = 'cod'): Promise<Array<{ time: number; value: number; late: boolean | null; skewed: boolean | null }>> {
  await gw.gateway.history.flush();
  const r = await rows(`SELECT "${metric}", "late", "skewed" FROM "telemetry" WHERE "device" = '${device}'`);
  return r.filter((x) => x[metric] !== null).map((x) => ({ time: x.time as number, value: x[metric] as number, late: x.late as boolean | null, skewed: x.skewed as boolean | null }));
}

async function eventsOf(device: string, rule: string): Promise<any[]> {
  const res = await gw.api(`/api/events?site=${SITE}&device=${device}`);
  return (res.body.events as any[]).filter((e) => e.rule === rule);
}

async function rejected(reason: string): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const m = new RegExp(`^gateway_messages_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Publishes in order at QoS 1; every publish resolves on its PUBACK. */
async function sendInOrder(dev: MqttClient, device: string, payloads: unknown[]): Promise<void> {
  for (const p of payloads) await dev.publishAsync(topic(device), JSON.stringify(p), { qos: 1 });
}

describe('a data logger re-sending 300 buffered readings taken 2 hours ago, 20 s apart', () => {
  const DEVICE = 'dtu-01';
  const HIGH = 150;
  let then: number;
  let sentFrom: number;
  let sentUntil: number;
  const value = (i: number) => (i === HIGH ? 130 : 40 + (i % 7));

  beforeAll(async () => {
    const dev = await gw.connect(DEVICE);
    sentFrom = Date.now();
    then = sentFrom - 2 * HOUR;
    await sendInOrder(dev, DEVICE, Array.from({ length: 300 }, (_, i) => ({ ts: then + i * 20_000, metrics: { cod: value(i) } })));
    sentUntil = Date.now();
  });

  it('stores all 300 readings at their own times, none marked as current', async () => {
    const points = await stored(DEVICE);
    expect(points).toHaveLength(300);
    expect(points.map((p) => p.time)).toEqual(Array.from({ length: 300 }, (_, i) => then + i * 20_000));
    expect(points.map((p) => p.value)).toEqual(Array.from({ length: 300 }, (_, i) => value(i)));
    expect(points.every((p) => p.late === true && p.skewed === null)).toBe(true);
  });

  it('raises an event from the reading over the level with raisedAt at that reading, late, detected now', async () => {
    const [event] = await eventually(() => eventsOf(DEVICE, 'late.cod-instant').then((e) => (e.length ? e : undefined)), 10_000, 'the COD event');
    expect(event).toMatchObject({ raisedAt: then + HIGH * 20_000, late: true, value: 130, state: 'open' });
    expect(event.detectedAt).toBeGreaterThanOrEqual(sentFrom);
    expect(event.detectedAt).toBeLessThanOrEqual(sentUntil);
  });

  it('does not make the late event overdue at once: the limit counts from detectedAt', async () => {
    const [event] = await eventsOf(DEVICE, 'late.cod-instant');
    const detail = await eventually(async () => {
      const d = (await gw.api(`/api/events/${event.id}`)).body;
      return d.transitions.some((t: { type: string }) => t.type === 'overdue') ? d : undefined;
    }, 15_000, 'the overdue transition');
    const overdue = detail.transitions.find((t: { type: string }) => t.type === 'overdue');
    // Counted from raisedAt (two hours back) it would have been overdue on the first tick.
    expect(overdue.at - event.detectedAt).toBeGreaterThanOrEqual(OVERDUE_MAJOR_MS);
  });

  it('shows both times in the export', async () => {
    const res = await gw.api(`/api/events/export?site=${SITE}&format=ndjson`);
    const lines = (res.body as string).trim().split('\n').map((l) => JSON.parse(l));
    const row = lines.find((l) => l.device === DEVICE && l.rule === 'late.cod-instant');
    expect(row).toMatchObject({ raisedAt: new Date(then + HIGH * 20_000).toISOString(), late: true });
    expect(Date.parse(row.detectedAt)).toBeGreaterThanOrEqual(sentFrom);
  });

  it('writes both times to the event measurement', async () => {
    await gw.gateway.history.flush();
    const [raise] = await rows(`SELECT "raised_at", "detected_at", "late" FROM "event" WHERE "device" = '${DEVICE}' AND "rule" = 'late.cod-instant' AND "transition" = 'raised'`);
    expect(raise).toMatchObject({ time: then + HIGH * 20_000, raised_at: then + HIGH * 20_000, late: true });
    expect(raise!.detected_at as number).toBeGreaterThanOrEqual(sentFrom);
  });

  it('records the detection time in the audit trail of the raise', async () => {
    const [event] = await eventsOf(DEVICE, 'late.cod-instant');
    const res = await gw.api(`/api/audit?event=${event.id}`);
    const raise = res.body.records.find((a: { type: string }) => a.type === 'raised');
    expect(raise).toMatchObject({ at: then + HIGH * 20_000, detail: { detectedAt: event.detectedAt, late: true } });
  });
});

describe('a backlog evaluated in order on its own event time', () => {
  it('raises a `for: 40s` rule at the reading 40 s into the run, as the device measured it', async () => {
    const DEVICE = 'dtu-02';
    const dev = await gw.connect(DEVICE);
    const t0 = Date.now() - HOUR;
    // 20 s apart: over the limit from the 3rd reading (t0 + 40 s) on; 40 s later is the 5th.
    const values = [5, 5, 30, 31, 32, 33, 34, 35];
    await sendInOrder(dev, DEVICE, values.map((v, i) => ({ ts: t0 + i * 20_000, metrics: { nh3n: v } })));
    const [event] = await eventually(() => eventsOf(DEVICE, 'late.nh3n-sustained').then((e) => (e.length ? e : undefined)), 10_000, 'the ammonia event');
    expect(event).toMatchObject({ raisedAt: t0 + 4 * 20_000, value: 32, late: true });
  });
});

describe('bursts, mixed streams and clocks that are off', () => {
  it('stores 200 readings without ts sent by one device in one burst as 200 points', async () => {
    const DEVICE = 'dtu-03';
    const dev = await gw.connect(DEVICE);
    const from = Date.now();
    await Promise.all(Array.from({ length: 200 }, (_, i) => dev.publishAsync(topic(DEVICE), JSON.stringify({ metrics: { cod: 20 + i / 10 } }), { qos: 1 })));
    const points = await stored(DEVICE);
    expect(points).toHaveLength(200);
    expect(points.map((p) => p.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => 20 + i / 10));
    expect(points.every((p) => p.time >= from && p.skewed === null && p.late === null)).toBe(true);
  });

  it('keeps live readings of one device current while another device re-sends its backlog in between', async () => {
    const [live, backlog] = ['dtu-04', 'dtu-05'];
    const a = await gw.connect(live);
    const b = await gw.connect(backlog);
    const now = Date.now();
    const past = now - 3 * HOUR;
    for (let i = 0; i < 20; i++) {
      await a.publishAsync(topic(live), JSON.stringify({ ts: now + i, metrics: { cod: i === 10 ? 120 : 40 } }), { qos: 1 });
      await b.publishAsync(topic(backlog), JSON.stringify({ ts: past + i * 20_000, metrics: { cod: i === 5 ? 140 : 40 } }), { qos: 1 });
    }
    const [livePoints, backlogPoints] = [await stored(live), await stored(backlog)];
    expect(livePoints.map((p) => [p.time, p.late])).toEqual(Array.from({ length: 20 }, (_, i) => [now + i, null]));
    expect(backlogPoints.map((p) => [p.time, p.late])).toEqual(Array.from({ length: 20 }, (_, i) => [past + i * 20_000, true]));
    const [liveEvent] = await eventually(() => eventsOf(live, 'late.cod-instant').then((e) => (e.length ? e : undefined)), 10_000, 'the live event');
    const [lateEvent] = await eventually(() => eventsOf(backlog, 'late.cod-instant').then((e) => (e.length ? e : undefined)), 10_000, 'the backlog event');
    expect(liveEvent).toMatchObject({ raisedAt: now + 10, late: false });
    expect(lateEvent).toMatchObject({ raisedAt: past + 5 * 20_000, late: true });
  });

  it('stores a backlog older than the last evaluated reading without evaluating it', async () => {
    const DEVICE = 'dtu-06';
    const dev = await gw.connect(DEVICE);
    const now = Date.now();
    await dev.publishAsync(topic(DEVICE), JSON.stringify({ ts: now, metrics: { cod: 40 } }), { qos: 1 });
    const past = now - 30 * 60_000;
    await sendInOrder(dev, DEVICE, [0, 1, 2].map((i) => ({ ts: past + i * 20_000, metrics: { cod: i === 1 ? 150 : 40 } })));
    // A later live reading over the level shows the device is still evaluated (and that the event store is current).
    await dev.publishAsync(topic(DEVICE), JSON.stringify({ ts: now + 1000, metrics: { cod: 101 } }), { qos: 1 });
    const [event] = await eventually(() => eventsOf(DEVICE, 'late.cod-instant').then((e) => (e.length ? e : undefined)), 10_000, 'the live event');
    expect(event).toMatchObject({ raisedAt: now + 1000, value: 101, late: false });
    expect((await eventsOf(DEVICE, 'late.cod-instant')).length).toBe(1);
    expect((await stored(DEVICE)).map((p) => [p.time, p.value])).toEqual([
      [past, 40],
      [past + 20_000, 150],
      [past + 40_000, 40],
      [now, 40],
      [now + 1000, 101],
    ]);
  });

  it('refuses a ts 10 days old as too_old, counts it and keeps the device connected', async () => {
    const DEVICE = 'dtu-07';
    const before = await rejected('too_old');
    const dev = await gw.connect(DEVICE);
    await dev.publishAsync(topic(DEVICE), JSON.stringify({ ts: Date.now() - 10 * 86_400_000, metrics: { cod: 33 } }), { qos: 1 });
    await dev.publishAsync(topic(DEVICE), JSON.stringify({ metrics: { cod: 34 } }), { qos: 1 });
    expect(await rejected('too_old')).toBe(before + 1);
    expect(dev.connected).toBe(true);
    expect((await stored(DEVICE)).map((p) => p.value)).toEqual([34]);
    expect(gw.logs.some((l) => l.includes('"reason":"too_old"') && l.includes('GATEWAY_MAX_BACKFILL'))).toBe(true);
  });

  it('stores a ts 1 h in the future at its arrival time, marked skewed', async () => {
    const DEVICE = 'dtu-08';
    const dev = await gw.connect(DEVICE);
    const from = Date.now();
    await dev.publishAsync(topic(DEVICE), JSON.stringify({ ts: from + HOUR, metrics: { cod: 35 } }), { qos: 1 });
    const until = Date.now();
    const [point] = await stored(DEVICE);
    expect(point).toMatchObject({ value: 35, skewed: true, late: null });
    expect(point!.time).toBeGreaterThanOrEqual(from);
    expect(point!.time).toBeLessThanOrEqual(until);
  });
});

describe('offline and backfill together', () => {
  it('resolves the offline event on reconnection and raises the backlog’s event as late, not as current', async () => {
    const DEVICE = 'dtu-09';
    // Never connected since the gateway started: the 2 s offline rule fires on the gateway clock.
    const [offline] = await eventually(() => eventsOf(DEVICE, 'late.offline').then((e) => (e.length ? e : undefined)), 10_000, 'the offline event');
    expect(offline).toMatchObject({ state: 'open', late: false });
    const dev = await gw.connect(DEVICE);
    const reconnected = Date.now();
    const past = reconnected - 20 * 60_000;
    await sendInOrder(dev, DEVICE, Array.from({ length: 10 }, (_, i) => ({ ts: past + i * 60_000, metrics: { cod: i === 4 ? 111 : 40 } })));
    const resolved = await eventually(async () => {
      const [e] = await eventsOf(DEVICE, 'late.offline');
      return e.state === 'resolved' ? e : undefined;
    }, 10_000, 'the offline event to resolve');
    expect(resolved.resolvedAt).toBeGreaterThanOrEqual(reconnected);
    const [cod] = await eventually(() => eventsOf(DEVICE, 'late.cod-instant').then((e) => (e.length ? e : undefined)), 10_000, 'the backlog event');
    expect(cod).toMatchObject({ raisedAt: past + 4 * 60_000, late: true, overdue: false });
    expect(cod.detectedAt).toBeGreaterThanOrEqual(reconnected);
    expect((await stored(DEVICE)).length).toBe(10);
  });
});

describe('replaying a recorded stream', () => {
  let dir: string;
  let recording: Array<{ topic: string; payload: unknown }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-late-rec-'));
    const file = join(dir, 'recorded.ndjson');
    // A seeded simulator run of one logger, an hour back, recorded without a broker.
    const sim = await startSim({
      registry: { sites: [{ ...registry.sites[0]!, devices: [{ id: 'dtu-rec', kind: 'gateway' as const, secret: 'dtu-rec-secret' }] }] },
      seed: 12,
      startTime: Date.now() - HOUR,
      rate: 2,
      count: 60,
      dryRun: true,
      quiet: true,
      record: file,
    });
    await sim.done;
    recording = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.topic.endsWith('/telemetry'));
    // A logger that repeats a ts with a new value (and that repeat again): both kept, replayed once.
    const first = recording[0]!.payload as { ts: number };
    recording.push({ topic: recording[0]!.topic, payload: { ts: first.ts, metrics: { cod: 77.7 } } });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function replay(target: TestGateway): Promise<void> {
    const dev = await target.connect('dtu-rec');
    for (const r of recording) await dev.publishAsync(r.topic, JSON.stringify(r.payload), { qos: 1 });
    await dev.endAsync();
  }

  async function points(): Promise<unknown[]> {
    await gw.gateway.history.flush();
    return rows(`SELECT * FROM "telemetry" WHERE "device" = 'dtu-rec'`);
  }

  it('stores each point once when the same stream is replayed twice', async () => {
    await replay(gw);
    const once = await points();
    expect(once).toHaveLength(recording.length);
    await replay(gw);
    expect(await points()).toEqual(once);
  });

  it('stores each point once when a fresh gateway, with no memory of the first run, replays it again', async () => {
    const before = await points();
    expect(before).toHaveLength(recording.length);
    const fresh = await startTestGateway(gatewayEnv(), registry);
    try {
      await replay(fresh);
      await fresh.gateway.history.flush();
      expect(await points()).toEqual(before);
    } finally {
      await fresh.stop();
    }
  });
});
