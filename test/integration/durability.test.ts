import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { seriesRows } from '../../gateway/src/storage/index.js';
import { eventually, startTestGateway, TEST_TOKEN, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { spawnGateway } from '../helpers/gateway-process.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

const TOPIC = 'sites/hb-chem-001/devices/gas-02/telemetry';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function influxd(): Promise<TestInfluxd> {
  const i = await startTestInfluxd();
  cleanups.push(() => i.stop());
  return i;
}

async function gateway(env: Record<string, string>, dataDir?: string): Promise<TestGateway> {
  const g = await startTestGateway(env, testRegistry, dataDir);
  cleanups.push(() => g.stop());
  return g;
}

/** Counts and values of gas-02's `temperature` readings in InfluxDB (the streams below write only these). */
async function stored(influx: TestInfluxd): Promise<Map<number, number>> {
  const [r] = await influx.query(`SELECT "temperature" FROM "telemetry" WHERE "device" = 'gas-02'`);
  const rows = r?.series.flatMap(seriesRows) ?? [];
  return new Map(rows.map((row) => [Number(row.time), Number(row.temperature)]));
}

/** Publishes QoS 1 readings with distinct timestamps at a steady pace; records what was acknowledged. */
function stream(client: MqttClient, base: number, opts: { count: number; everyMs: number }) {
  const acked = new Map<number, number>();
  let sent = 0;
  const done = (async () => {
    for (let i = 0; i < opts.count; i++) {
      const ts = base + i;
      const value = 20 + (i % 50) / 10;
      sent++;
      client.publishAsync(TOPIC, JSON.stringify({ ts, metrics: { temperature: value } }), { qos: 1 }).then(
        () => acked.set(ts, value),
        () => undefined,
      );
      await new Promise((r) => setTimeout(r, opts.everyMs));
    }
  })();
  return { acked, done, sent: () => sent };
}

describe('no data lost', () => {
  it('keeps every reading through an influxd crash and restart, each stored exactly once', async () => {
    const influx = await influxd();
    const gw = await gateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, INFLUX_TIMEOUT: '1s' });
    const dev = await gw.connect('gas-02');
    const base = Date.now() - 60_000;
    const s = stream(dev, base, { count: 300, everyMs: 5 });
    await eventually(() => s.sent() >= 100, 10_000, '100 readings sent');
    influx.server.kill('SIGKILL');
    await eventually(() => s.sent() >= 200, 10_000, '200 readings sent');
    await influx.server.restart();
    await s.done;
    await eventually(() => s.acked.size === 300, 10_000, 'every PUBACK');
    expect(await gw.gateway.history.flush(20_000)).toBe(true);
    const points = await stored(influx);
    expect(points.size).toBe(300);
    expect(points.get(base + 0)).toBe(20);
    expect(points.get(base + 150)).toBe(20);
    expect(points.get(base + 299)).toBe(24.9);
    expect(gw.gateway.history.backlog().points).toBe(0);
  });

  it('loses and duplicates nothing when influxd stalls longer than the write timeout', async () => {
    const influx = await influxd();
    const gw = await gateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, INFLUX_TIMEOUT: '500ms' });
    const dev = await gw.connect('gas-02');
    const base = Date.now() - 60_000;
    const s = stream(dev, base, { count: 200, everyMs: 5 });
    await eventually(() => s.sent() >= 50, 10_000, '50 readings sent');
    influx.server.kill('SIGSTOP');
    try {
      await eventually(() => gw.gateway.history.forwarding().healthy === false, 10_000, 'the forwarder to notice the stall');
      await s.done;
    } finally {
      influx.server.kill('SIGCONT');
    }
    // Sent is not yet accepted: on a busy machine the last publishes are still in flight here,
    // and a flush now would find an outbox without them. What is acknowledged must all land.
    await eventually(() => s.acked.size === 200, 20_000, 'every PUBACK');
    expect(await gw.gateway.history.flush(20_000)).toBe(true);
    const points = await stored(influx);
    expect(points.size).toBe(200);
    const [count] = await influx.query(`SELECT COUNT("temperature") FROM "telemetry" WHERE "device" = 'gas-02'`);
    expect(count!.series[0]!.values[0]![1]).toBe(200);
  });

  it('acknowledges QoS 1 publishes while influxd is down, once they are durable locally', async () => {
    const influx = await influxd();
    const gw = await gateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, INFLUX_TIMEOUT: '500ms' });
    influx.server.kill('SIGKILL');
    const dev = await gw.connect('gas-02');
    const base = Date.now() - 60_000;
    for (let i = 0; i < 20; i++) await dev.publishAsync(TOPIC, JSON.stringify({ ts: base + i, metrics: { temperature: 21 } }), { qos: 1 });
    expect(gw.gateway.history.backlog().points).toBeGreaterThanOrEqual(20);
    const ready = await gw.api('/readyz', { token: null });
    expect(ready.body.outbox.points).toBeGreaterThanOrEqual(20);
    await influx.server.restart();
    expect(await gw.gateway.history.flush(20_000)).toBe(true);
    expect((await stored(influx)).size).toBe(20);
  });

  it('holds back PUBACKs at the outbox cap, raises storage_backlog, and recovers when InfluxDB returns', async () => {
    const influx = await influxd();
    // One device fills the whole outbox here: its share is the whole cap (outbox-share.test.ts has the per-device share).
    const gw = await gateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, INFLUX_TIMEOUT: '500ms', GATEWAY_OUTBOX_MAX_BYTES: '4096', GATEWAY_OUTBOX_DEVICE_SHARE: '100' });
    influx.server.kill('SIGKILL');
    const dev = await gw.connect('gas-02');
    const base = Date.now() - 60_000;
    const acked = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const ts = base + i;
      void dev.publishAsync(TOPIC, JSON.stringify({ ts, metrics: { temperature: 22 } }), { qos: 1 }).then(() => acked.add(ts));
    }
    await eventually(async () => (await gw.api('/readyz', { token: null })).status === 503, 10_000, 'readyz to answer 503');
    const heldAt = acked.size;
    expect(heldAt).toBeLessThan(100);
    const events = await eventually(async () => {
      const r = await gw.api('/api/events?site=gateway');
      return r.body.events?.length ? r.body.events : undefined;
    }, 5000, 'the storage_backlog event');
    expect(events[0]).toMatchObject({ rule: 'system.storage_backlog', severity: 'critical', state: 'open' });
    await influx.server.restart();
    await eventually(() => acked.size === 100, 30_000, 'every withheld PUBACK');
    expect(await gw.gateway.history.flush(20_000)).toBe(true);
    expect((await stored(influx)).size).toBe(100);
    await eventually(async () => (await gw.api('/api/events?site=gateway&state=resolved')).body.events.length === 1, 5000, 'storage_backlog to resolve');
  });

  it('has every acknowledged reading in InfluxDB after the gateway is killed mid-stream and restarted', async () => {
    const influx = await influxd();
    const dir = mkdtempSync(join(tmpdir(), 'gw-crash-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const registry = join(dir, 'registry.yaml');
    writeFileSync(registry, stringify(testRegistry));
    const env = {
      GATEWAY_DATA_DIR: join(dir, 'data'),
      GATEWAY_REGISTRY: registry,
      GATEWAY_RULES_DIR: resolve('rules'),
      GATEWAY_API_TOKEN: TEST_TOKEN,
      INFLUX_URL: influx.url,
      INFLUX_DATABASE: influx.database,
    };
    // Readings wait in the outbox while influxd is stopped, so the kill happens with a backlog.
    influx.server.kill('SIGSTOP');
    const first = await spawnGateway(env);
    cleanups.push(async () => first.child.kill('SIGKILL'));
    const dev = mqtt.connect(`mqtt://127.0.0.1:${first.mqttPort}`, { clientId: 'gas-02', username: 'gas-02', password: 'gas-02-secret', reconnectPeriod: 0 });
    cleanups.push(() => dev.endAsync(true));
    await new Promise((r, j) => (dev.once('connect', r), dev.once('error', j)));
    const base = Date.now() - 60_000;
    const s = stream(dev, base, { count: 2000, everyMs: 1 });
    await eventually(() => s.acked.size >= 300, 20_000, '300 PUBACKs');
    first.child.kill('SIGKILL');
    await first.exited;
    await s.done;
    const acked = new Map(s.acked);
    expect(acked.size).toBeLessThan(2000);
    influx.server.kill('SIGCONT');

    const second = await spawnGateway(env);
    cleanups.push(async () => second.child.kill('SIGKILL'));
    await eventually(async () => {
      const points = await stored(influx);
      return [...acked.keys()].every((ts) => points.has(ts));
    }, 30_000, 'every acknowledged reading in InfluxDB');
    const points = await stored(influx);
    for (const [ts, value] of acked) expect(points.get(ts)).toBe(value);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(second.output()).toMatch(/gateway stopped; nothing left in the outbox/);
  });
});
