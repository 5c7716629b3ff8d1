import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { seriesRows } from '../../gateway/src/storage/index.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { start as startSim } from '../../device-sim/src/index.js';
import { eventually, startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';

// One real influxd and one real gateway for the whole file; each test uses its own device or metric.
let influx: TestInfluxd;
let gw: TestGateway;

beforeAll(async () => {
  influx = await startTestInfluxd();
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database });
});

afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
});

async function rows(influxql: string): Promise<Record<string, unknown>[]> {
  const [result] = await influx.query(influxql);
  return result?.series.flatMap(seriesRows) ?? [];
}

const telemetryTopic = (device: string, site = 'hb-chem-001') => `sites/${site}/devices/${device}/telemetry`;

async function rejectedCount(reason: string): Promise<number> {
  const res = await fetch(`${gw.httpUrl}/metrics`);
  const text = await res.text();
  const m = new RegExp(`^gateway_messages_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function metricValue(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const m = new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function stillServing(): Promise<void> {
  const health = await gw.api('/healthz', { token: null });
  expect(health.status).toBe(200);
  const probe = await gw.connect('gas-02');
  await probe.publishAsync(telemetryTopic('gas-02'), JSON.stringify({ metrics: { temperature: 21 } }), { qos: 1 });
  await probe.endAsync();
}

describe('the path from a device to a supervision event', () => {
  it('raises one event when a device drives combustible gas over its alarm level, and stores event and readings in InfluxDB', async () => {
    const dev = await gw.connect('gas-01');
    const t0 = Date.now() - 10_000;
    for (const [i, v] of [5, 12, 60, 62, 64].entries()) {
      await dev.publishAsync(telemetryTopic('gas-01'), JSON.stringify({ ts: t0 + i * 1000, metrics: { gas_lel: v } }), { qos: 1 });
    }
    const events = await eventually(async () => {
      const res = await gw.api('/api/events?site=hb-chem-001&device=gas-01');
      return res.body.events?.length ? res.body.events : undefined;
    }, 10_000, 'an event for gas-01');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ site: 'hb-chem-001', device: 'gas-01', metric: 'gas_lel', severity: 'critical', state: 'open', value: 60 });
    expect(events[0].rule).toMatch(/\S/);
    expect(events[0].item).toMatch(/\S/);

    await gw.gateway.history.flush();
    const stored = await rows(`SELECT "gas_lel" FROM "telemetry" WHERE "device" = 'gas-01'`);
    expect(stored.map((r) => r.gas_lel)).toEqual([5, 12, 60, 62, 64]);
    const ev = await rows(`SELECT "event_id", "value" FROM "event" WHERE "device" = 'gas-01'`);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ event_id: events[0].id, value: 60 });
    await dev.endAsync();
  });

  it('raises an event when a simulated mine sensor drives methane over its alarm level', async () => {
    const mine = testRegistry.sites.find((s) => s.id === 'mine-007')!;
    const sim = await startSim({
      url: gw.mqttUrl,
      registry: { sites: [mine] } as never,
      rate: 20,
      duration: '2s',
      qos: 1,
      quiet: true,
      startTime: 'now',
      scenarios: ['ch4-01=spike:metric=ch4,to=1.7,at=0s,for=2s'],
    });
    await sim.done;
    expect(sim.stats().acked).toBeGreaterThan(10);
    const events = await eventually(async () => {
      const res = await gw.api('/api/events?site=mine-007&device=ch4-01');
      return res.body.events?.length ? res.body.events : undefined;
    }, 10_000, 'a methane event');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ metric: 'ch4', severity: 'critical', state: 'open' });
    expect(events[0].value).toBeGreaterThanOrEqual(1.5);
  });

  it('shows the event with its transitions through GET /api/events/:id', async () => {
    const { body } = await gw.api('/api/events?device=gas-01');
    const detail = await gw.api(`/api/events/${body.events[0].id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.transitions.map((t: { type: string }) => t.type)).toEqual(['raised']);
  });

  it('serves stored readings through GET /api/readings', async () => {
    const res = await gw.api('/api/readings?site=hb-chem-001&device=gas-01&metric=gas_lel&since=' + (Date.now() - 3_600_000));
    expect(res.status).toBe(200);
    expect(res.body.series[0].points.map((p: { value: number }) => p.value)).toEqual([5, 12, 60, 62, 64]);
  });

  it('lists sites with their devices and latest values', async () => {
    const res = await gw.api('/api/sites');
    const site = res.body.sites.find((s: { id: string }) => s.id === 'hb-chem-001');
    expect(site.devices.find((d: { id: string }) => d.id === 'gas-01').latest.gas_lel.value).toBe(64);
  });
});

describe('refusing bad input while still serving', () => {
  it('refuses the connection of an unknown device', async () => {
    const client = mqtt.connect(gw.mqttUrl, { clientId: 'ghost', username: 'ghost', password: 'whatever-secret', reconnectPeriod: 0 });
    const err = await new Promise<Error & { code?: number }>((resolve) => client.once('error', resolve));
    expect(err.code).toBe(4);
    client.end(true);
    expect(await metricValue('gateway_mqtt_auth_failures_total', 'reason="unknown_device"')).toBeGreaterThan(0);
    await stillServing();
  });

  it('refuses the connection of a device with a wrong secret', async () => {
    await expect(gw.connect('gas-01', 'not-the-secret')).rejects.toMatchObject({ code: 4 });
    expect(await metricValue('gateway_mqtt_auth_failures_total', 'reason="bad_secret"')).toBeGreaterThan(0);
    await stillServing();
  });

  it('closes the connection of a device that publishes to another device topic, and counts it', async () => {
    const dev = await gw.connect('gas-02');
    const closed = new Promise<void>((r) => dev.once('close', () => r()));
    dev.publish(telemetryTopic('gas-01'), JSON.stringify({ metrics: { gas_lel: 99 } }), { qos: 1 });
    await closed;
    expect(await metricValue('gateway_mqtt_acl_denied_total', 'action="publish"')).toBeGreaterThan(0);
    const { body } = await gw.api('/api/events?device=gas-01');
    expect(body.events.every((e: { value: number }) => e.value !== 99)).toBe(true);
    await stillServing();
  });

  it('refuses a subscription outside the device commands topic', async () => {
    const dev = await gw.connect('gas-02');
    await expect(dev.subscribeAsync('sites/#')).rejects.toMatchObject({ packet: { granted: [128] } });
    expect(dev.connected).toBe(true);
    const own = await dev.subscribeAsync('sites/hb-chem-001/devices/gas-02/commands/#');
    expect(own[0]!.qos).toBe(0);
    await dev.endAsync();
  });

  const bad: Array<[string, string | Buffer, string]> = [
    ['malformed JSON', '{"metrics": {"gas_lel": ', 'invalid_json'],
    ['a value of the wrong type', JSON.stringify({ metrics: { gas_lel: '55' } }), 'invalid_payload'],
    ['NaN', '{"metrics": {"gas_lel": NaN}}', 'invalid_json'],
    ['Infinity', '{"metrics": {"gas_lel": 1e999}}', 'invalid_payload'],
    ['a 128 KiB payload (over the 64 KiB payload limit, under the packet limit)', Buffer.alloc(128 * 1024, 0x20), 'payload_too_large'],
  ];
  for (const [what, payload, reason] of bad) {
    it(`rejects ${what} with reason ${reason}, keeps the device connected and raises nothing`, async () => {
      const before = await rejectedCount(reason);
      const dev = await gw.connect('gas-02');
      await dev.publishAsync(telemetryTopic('gas-02'), payload, { qos: 1 });
      await eventually(async () => (await rejectedCount(reason)) === before + 1, 5000, `the ${reason} counter`);
      expect(dev.connected).toBe(true);
      await dev.publishAsync(telemetryTopic('gas-02'), JSON.stringify({ metrics: { temperature: 22 } }), { qos: 1 });
      await dev.endAsync();
      const { body } = await gw.api('/api/events?device=gas-02');
      expect(body.events).toEqual([]);
      await stillServing();
    });
  }

  it('closes the connection of a device that sends a 1 MiB packet, before reading it, and counts it', async () => {
    const before = await metricValue('gateway_mqtt_protocol_errors_total', 'reason="packet_too_large"');
    const dev = await gw.connect('gas-02');
    const closed = new Promise<void>((r) => dev.once('close', () => r()));
    dev.publish(telemetryTopic('gas-02'), Buffer.alloc(1024 * 1024, 0x20), { qos: 1 });
    await closed;
    expect(await metricValue('gateway_mqtt_protocol_errors_total', 'reason="packet_too_large"')).toBe(before + 1);
    await stillServing();
  });

  it('logs the reason of a rejected message', () => {
    expect(gw.logs.some((l) => l.includes('"reason":"invalid_json"'))).toBe(true);
  });
});

describe('the API', () => {
  it('answers 401 with a JSON error without a bearer token', async () => {
    const res = await gw.api('/api/events', { token: null });
    expect(res).toEqual({ status: 401, body: { error: { code: 'GW_UNAUTHORIZED', message: 'missing or invalid bearer token' } } });
  });

  it('answers 401 for a wrong token', async () => {
    expect((await gw.api('/api/sites', { token: 'wrong-token-000000000' })).status).toBe(401);
  });

  it('answers 400 naming the bad query parameter', async () => {
    const res = await gw.api('/api/events?severity=apocalyptic');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('GW_BAD_REQUEST');
    expect(res.body.error.message).toContain('severity');
  });

  it('answers 404 for an unknown event id', async () => {
    const res = await gw.api('/api/events/ev-000000000-0000000000');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
  });

  it('answers 400 for an event id that is not of the id form', async () => {
    const res = await gw.api('/api/events/..%2F..%2Fetc');
    expect(res.status).toBe(400);
  });

  it('serves /healthz without a token', async () => {
    const res = await gw.api('/healthz', { token: null });
    expect(res.body).toMatchObject({ status: 'ok', history: 'on', influx: 'ok' });
  });

  it('never writes the API token or device secrets to the log', () => {
    const all = gw.logs.join('');
    expect(all).not.toContain('test-token-0123456789abcdef');
    expect(all).not.toContain('gas-01-secret');
  });
});
