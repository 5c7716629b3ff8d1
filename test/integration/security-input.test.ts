// Hostile input against a real gateway and a real influxd: raw bytes on the MQTT port,
// prototype-pollution keys, injection characters in ids, metric names and query parameters,
// odd numbers and timestamps, session takeover, MQTT roles of API users, and secrets in logs.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesRows } from '../../gateway/src/storage/index.js';
import { createUser, raise } from '../helpers/events.js';
import { eventually, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { closedByServer, connectPacket, counter, outcome, publishPacket, stillServing as serving } from '../helpers/security.js';

let influx: TestInfluxd;
let gw: TestGateway;
let mqttPort: number;
const clients: MqttClient[] = [];

beforeAll(async () => {
  influx = await startTestInfluxd();
  // Many refusals come from 127.0.0.1 here; the login backoff has its own test file.
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_LOGIN_FREE_FAILURES: '1000', GATEWAY_WEBHOOK_ALLOW: '127.0.0.1' });
  mqttPort = Number(new URL(gw.mqttUrl).port);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await gw?.stop();
  await influx?.stop();
});

const topic = (device: string, channel = 'telemetry', site = 'hb-chem-001') => `sites/${site}/devices/${device}/${channel}`;

function rawClient(opts: { clientId: string; username: string; password: string }): MqttClient {
  const c = mqtt.connect(gw.mqttUrl, { ...opts, reconnectPeriod: 0, connectTimeout: 5000 });
  clients.push(c);
  return c;
}

const stillServing = () => serving(gw);

/** Publishes one message from `device` (QoS 1, so the gateway has handled it) and reports what happened. */
async function publishOnce(device: string, t: string, payload: string | Buffer) {
  const accepted = await counter(gw, 'gateway_messages_accepted_total', '');
  const before = await fetch(`${gw.httpUrl}/metrics`).then((r) => r.text());
  const dev = await gw.connect(device);
  await dev.publishAsync(t, payload, { qos: 1 });
  const after = await fetch(`${gw.httpUrl}/metrics`).then((r) => r.text());
  const connected = dev.connected;
  await dev.endAsync();
  const rose = (reason: string) => {
    const re = new RegExp(`^gateway_messages_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm');
    return Number(re.exec(after)?.[1] ?? 0) - Number(re.exec(before)?.[1] ?? 0);
  };
  void accepted;
  return { rose, connected };
}

async function rejectedAs(device: string, payload: string, reason: string, channel = 'telemetry') {
  const r = await publishOnce(device, topic(device, channel, device === 'ch4-01' ? 'mine-007' : 'hb-chem-001'), payload);
  return { rise: r.rose(reason), connected: r.connected };
}

/** Deterministic noise (xorshift32), so a failure can be replayed byte for byte. */
function noise(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('hostile bytes on the raw MQTT port', () => {
  const truncatedConnect = (() => {
    const full = connectPacket('gas-01', 'gas-01', 'gas-01-secret');
    // Remaining length consistent with what is sent, but the strings inside run past its end.
    const body = full.subarray(2, 2 + 14);
    return Buffer.concat([Buffer.from([0x10, body.length]), body]);
  })();
  const cases: Array<[string, Buffer]> = [
    // Over 256 KiB: whatever length the noise announces, the packet is either complete or too large.
    ['random bytes after a reserved packet type', Buffer.concat([Buffer.from([0x00]), noise(1, 300 * 1024)])],
    ['random bytes after an AUTH packet type', Buffer.concat([Buffer.from([0xf0]), noise(2, 300 * 1024)])],
    ['random bytes', noise(3, 300 * 1024)],
    ['random bytes after a CONNECT type byte', Buffer.concat([Buffer.from([0x10]), noise(4, 300 * 1024)])],
    ['a truncated CONNECT', truncatedConnect],
    ['a CONNECT with the protocol name "MQTX"', connectPacket('gas-01', 'gas-01', 'gas-01-secret', 'MQTX')],
    ['a PUBLISH before any CONNECT', publishPacket(topic('gas-01'), JSON.stringify({ metrics: { gas_lel: 99 } }))],
  ];
  for (const [what, bytes] of cases) {
    it(`closes a connection that sends ${what}, and keeps serving`, async () => {
      expect(await closedByServer(mqttPort, bytes)).toBe(true);
      await stillServing();
    });
  }

  it('counts malformed connections', async () => {
    expect(await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="malformed"')).toBeGreaterThan(0);
  });

  it('stores nothing a PUBLISH before CONNECT carried', async () => {
    const { body } = await gw.api('/api/events?device=gas-01');
    expect(body.events.filter((e: { value: number }) => e.value === 99)).toEqual([]);
  });
});

describe('prototype-pollution keys', () => {
  const payloads: Array<[string, string]> = [
    ['a top-level "__proto__" key', '{"metrics":{"gas_lel":1},"__proto__":{"polluted":true}}'],
    ['a "constructor" key', '{"metrics":{"gas_lel":1},"constructor":{"prototype":{"polluted":true}}}'],
    ['a "prototype" key in the metrics', '{"metrics":{"prototype":1}}'],
    ['a "constructor" metric written with a \\u escape', '{"metrics":{"\\u0063onstructor":1}}'],
    ['a "__proto__" key written with \\u escapes', '{"metrics":{"gas_lel":1},"\\u005f\\u005fproto__":{"polluted":true}}'],
  ];
  for (const [what, payload] of payloads) {
    it(`rejects an MQTT payload with ${what} as forbidden_key`, async () => {
      expect(await rejectedAs('gas-01', payload, 'forbidden_key')).toEqual({ rise: 1, connected: true });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('rejects a status payload with an escaped "__proto__" key as forbidden_key', async () => {
    expect(await rejectedAs('gas-01', '{"online":true,"\\u005f_proto__":{"polluted":true}}', 'forbidden_key', 'status')).toEqual({ rise: 1, connected: true });
  });

  const bodies: Array<[string, string]> = [
    ['"__proto__"', '{"name":"pp-user","role":"viewer","sites":["hb-chem-001"],"__proto__":{"polluted":true,"role":"admin"}}'],
    ['"constructor"', '{"name":"pp-user","role":"viewer","sites":["hb-chem-001"],"constructor":{"prototype":{"polluted":true}}}'],
  ];
  for (const [key, body] of bodies) {
    it(`answers 400 GW_BAD_REQUEST to an API body with a ${key} key, pollutes nothing and creates nobody`, async () => {
      const res = await gw.api('/api/users', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('GW_BAD_REQUEST');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const users = await gw.api('/api/users');
      expect(users.status).toBe(200);
      expect(users.body.users.map((u: { name: string }) => u.name)).not.toContain('pp-user');
    });
  }

  it('answers 400 to a "__proto__" query parameter', async () => {
    const res = await gw.api('/api/events?__proto__=x&constructor=y');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('GW_BAD_REQUEST');
  });
});

describe('injection characters in ids and metric names', () => {
  const BAD = [
    ['a newline', 'gas-01\n'],
    ['a space', 'gas 01'],
    ['a comma', 'gas,01'],
    ['a quote', "gas'01"],
    ['a double quote', 'gas"01'],
    ['an equals sign', 'gas=01'],
    ['non-ASCII', 'gas-０1'],
    ['../', '../gas-01'],
  ] as const;

  for (const [what, id] of BAD) {
    it(`closes the connection of a publish whose device level holds ${what}, and counts an ACL denial`, async () => {
      const before = await counter(gw, 'gateway_mqtt_acl_denied_total', 'action="publish"');
      const dev = await gw.connect('gas-01');
      const closed = new Promise<void>((r) => dev.once('close', () => r()));
      dev.publish(`sites/hb-chem-001/devices/${id}/telemetry`, JSON.stringify({ metrics: { temperature: 1 } }), { qos: 1 });
      await closed;
      expect(await counter(gw, 'gateway_mqtt_acl_denied_total', 'action="publish"')).toBe(before + 1);
    });

    it(`refuses a login whose username holds ${what} as unknown_device`, async () => {
      const before = await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="unknown_device"');
      const o = await outcome(rawClient({ clientId: 'x', username: id, password: 'gas-01-secret' }));
      expect(o).toMatchObject({ connected: false, error: { code: 4 } });
      expect(await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="unknown_device"')).toBe(before + 1);
    });

    it(`rejects a metric name holding ${what} as invalid_payload`, async () => {
      const name = id.replace('gas', 'temp');
      expect(await rejectedAs('gas-01', JSON.stringify({ metrics: { [name]: 1 } }), 'invalid_payload')).toEqual({ rise: 1, connected: true });
    });

    it(`answers 400 to an API device filter holding ${what}`, async () => {
      const res = await gw.api(`/api/events?device=${encodeURIComponent(id)}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('GW_BAD_REQUEST');
    });
  }

  it('rejects a topic with extra levels after the own device prefix as unknown_topic, keeping the device connected', async () => {
    const r = await publishOnce('gas-01', 'sites/hb-chem-001/devices/gas-01/../gas-02/telemetry', JSON.stringify({ metrics: { temperature: 1 } }));
    expect({ rise: r.rose('unknown_topic'), connected: r.connected }).toEqual({ rise: 1, connected: true });
  });

  it('rejects an unknown channel under the own device prefix as unknown_topic', async () => {
    const r = await publishOnce('gas-01', 'sites/hb-chem-001/devices/gas-01/telemetry ', JSON.stringify({ metrics: { temperature: 1 } }));
    expect(r.rose('unknown_topic')).toBe(1);
  });
});

describe('numbers and timestamps that are not what they seem', () => {
  const cases: Array<[string, string, string, string?]> = [
    ['a confidence given as a string', JSON.stringify({ camera: 'cam-01', detections: [{ type: 'smoke', confidence: '0.9' }] }), 'invalid_payload', 'vision'],
    ['a bounding box holding 1e999 (Infinity)', '{"camera":"cam-01","detections":[{"type":"smoke","confidence":0.9,"bbox":[0,0,1e999,1]}]}', 'invalid_payload', 'vision'],
    ['a value of -1e999 (-Infinity)', '{"metrics":{"temperature":-1e999}}', 'invalid_payload'],
    ['a timestamp of NaN', '{"ts":NaN,"metrics":{"temperature":1}}', 'invalid_json'],
    ['an epoch timestamp given as a string', JSON.stringify({ ts: String(Date.now()), metrics: { temperature: 1 } }), 'invalid_payload'],
    ['a timestamp past the end of JavaScript time', JSON.stringify({ ts: 9e15, metrics: { temperature: 1 } }), 'invalid_payload'],
    ['a hexadecimal number', '{"metrics":{"temperature":0x10}}', 'invalid_json'],
    ['a boolean value', '{"metrics":{"temperature":true}}', 'invalid_payload'],
  ];
  for (const [what, payload, reason, channel] of cases) {
    it(`rejects ${what} as ${reason}`, async () => {
      const device = channel === 'vision' ? 'cam-01' : 'gas-01';
      expect(await rejectedAs(device, payload, reason, channel)).toEqual({ rise: 1, connected: true });
    });
  }

  // 1970 is older than the backfill window: a broken clock, refused as too_old (not stored at the arrival time).
  it('rejects a reading stamped in 1970 as too_old', async () => {
    expect(await rejectedAs('ch4-01', JSON.stringify({ ts: 1, metrics: { skew_past: 7 } }), 'too_old')).toEqual({ rise: 1, connected: true });
  });

  const skewed: Array<[string, number | string, string]> = [
    ['ten years ahead', Date.now() + 10 * 365 * 86_400_000, 'skew_future'],
    ['in the year 2999 (ISO 8601)', '2999-01-01T00:00:00Z', 'skew_iso'],
  ];
  for (const [when, ts, metric] of skewed) {
    it(`stores a reading stamped ${when} at its arrival time, marked skewed`, async () => {
      const sentAt = Date.now();
      const dev = await gw.connect('ch4-01');
      await dev.publishAsync(topic('ch4-01', 'telemetry', 'mine-007'), JSON.stringify({ ts, metrics: { [metric]: 7 } }), { qos: 1 });
      const receivedBy = Date.now();
      await dev.endAsync();
      await gw.gateway.history.flush();
      const res = await gw.api(`/api/readings?site=mine-007&device=ch4-01&metric=${metric}`);
      expect(res.status).toBe(200);
      const points = res.body.series[0].points as Array<{ time: number; value: number }>;
      expect(points).toHaveLength(1);
      expect(points[0]!.value).toBe(7);
      expect(points[0]!.time).toBeGreaterThanOrEqual(sentAt);
      expect(points[0]!.time).toBeLessThanOrEqual(receivedBy);
      const [result] = await influx.query(`SELECT "${metric}", "skewed" FROM "telemetry" WHERE "device" = 'ch4-01'`);
      const rows = result?.series.flatMap(seriesRows) ?? [];
      expect(rows.filter((r) => r[metric] === 7).map((r) => r.skewed)).toEqual([true]);
    });
  }
});

describe('injection through API query parameters', () => {
  const hostile: Array<[string, string]> = [
    ['SQL in the site filter of /api/events', `/api/events?site=${encodeURIComponent("x' OR 1=1--")}`],
    ['SQL in the device filter of /api/events', `/api/events?device=${encodeURIComponent('gas-01;DROP TABLE events')}`],
    ['SQL in the site filter of /api/audit', `/api/audit?site=${encodeURIComponent("hb-chem-001' OR '1'='1")}`],
    ['InfluxQL in the metric of /api/readings', `/api/readings?site=hb-chem-001&metric=${encodeURIComponent('gas_lel" FROM "telemetry"; DROP DATABASE "gateway_test" --')}`],
    ['an InfluxQL regex in the device of /api/readings', `/api/readings?site=hb-chem-001&metric=gas_lel&device=${encodeURIComponent("gas-01' OR device =~ /.*/")}`],
    ['an InfluxQL clause in the limit of /api/readings', `/api/readings?site=hb-chem-001&metric=gas_lel&limit=${encodeURIComponent('10; DROP MEASUREMENT telemetry')}`],
    ['an InfluxQL clause in the since of /api/readings', `/api/readings?site=hb-chem-001&metric=gas_lel&since=${encodeURIComponent('0ms OR time > 0')}`],
    ['a second site parameter (array smuggling)', '/api/readings?site=hb-chem-001&site=mine-007&metric=gas_lel'],
  ];
  for (const [what, path] of hostile) {
    it(`answers 400 GW_BAD_REQUEST to ${what}`, async () => {
      const res = await gw.api(path);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('GW_BAD_REQUEST');
    });
  }

  // Fastify's router refuses bad percent-encoding before routing; frameworkErrors keeps the GW_ shape.
  // Turn this into it() once it is wired.
  it('answers 400 GW_BAD_REQUEST to a path with malformed percent-encoding', async () => {
    const res = await gw.api('/api/events/%ZZ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('GW_BAD_REQUEST');
  });

  it('still has the telemetry measurement and the events table after the attempts', async () => {
    const [result] = await influx.query('SHOW MEASUREMENTS');
    expect(result?.series.flatMap(seriesRows).map((r) => r.name)).toContain('telemetry');
    expect((await gw.api('/api/events')).status).toBe(200);
  });
});

describe('two connections with the same client id', () => {
  it('closes the first, counts a takeover and logs it', async () => {
    const before = await counter(gw, 'gateway_mqtt_session_takeovers_total');
    const first = await gw.connect('gas-02');
    const closed = new Promise<void>((r) => first.once('close', () => r()));
    const second = await gw.connect('gas-02');
    await closed;
    expect(second.connected).toBe(true);
    expect(await counter(gw, 'gateway_mqtt_session_takeovers_total')).toBe(before + 1);
    expect(gw.logs.some((l) => l.includes('session taken over') && l.includes('"clientId":"gas-02"'))).toBe(true);
    await second.endAsync();
  });
});

describe('API users on MQTT', () => {
  let operator: string;
  let supervisor: string;

  beforeAll(async () => {
    operator = await createUser(gw, 'op-lin', 'operator', ['hb-chem-001']);
    supervisor = await createUser(gw, 'sup-wang', 'supervisor');
  });

  const account = (name: string, token: string) => rawClient({ clientId: name, username: name, password: token });

  it('refuses (SUBACK 128) an operator subscribing to supervision/#', async () => {
    const op = account('op-lin', operator);
    expect(await outcome(op)).toEqual({ connected: true });
    await expect(op.subscribeAsync('supervision/#')).rejects.toMatchObject({ packet: { granted: [128] } });
    await op.endAsync();
  });

  it('lets a supervisor subscribe to supervision/# and delivers the event of a site', async () => {
    const sup = account('sup-wang', supervisor);
    expect(await outcome(sup)).toEqual({ connected: true });
    const granted = await sup.subscribeAsync('supervision/#', { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
    const message = new Promise<{ topic: string; body: { event?: { id: string } } }>((resolve) =>
      sup.on('message', (t, p) => resolve({ topic: t, body: JSON.parse(p.toString()) })),
    );
    const id = await raise(gw, 'gas-01', { gas_lel: 61 });
    const got = await message;
    expect(got.topic).toBe('supervision/events/hb-chem-001');
    expect(JSON.stringify(got.body)).toContain(id);
    await sup.endAsync();
  });

  it('closes the connection of a supervisor publishing a forged event', async () => {
    const before = await counter(gw, 'gateway_mqtt_acl_denied_total', 'action="publish"');
    const sup = account('sup-wang', supervisor);
    expect(await outcome(sup)).toEqual({ connected: true });
    const closed = new Promise<void>((r) => sup.once('close', () => r()));
    sup.publish('supervision/events/hb-chem-001', JSON.stringify({ forged: true }), { qos: 1 });
    await closed;
    expect(await counter(gw, 'gateway_mqtt_acl_denied_total', 'action="publish"')).toBe(before + 1);
  });

  it('refuses an account whose client id is a device id, so it cannot take over a device session', async () => {
    const o = await outcome(rawClient({ clientId: 'gas-01', username: 'sup-wang', password: supervisor }));
    expect(o).toMatchObject({ connected: false, error: { code: 2 } });
  });
});

describe('secrets in the log', () => {
  it('never writes a device secret, an API token or a webhook secret to the log', async () => {
    const webhookSecret = 'whsec-this-must-never-be-logged-42';
    const wrongSecret = 'wrong-secret-that-must-not-be-logged';
    const wrongToken = 'gw_wrong-token-that-must-not-be-logged';

    expect((await outcome(rawClient({ clientId: 'gas-01', username: 'gas-01', password: wrongSecret }))).connected).toBe(false);
    expect((await outcome(rawClient({ clientId: 'ghost-7', username: 'ghost-7', password: wrongSecret }))).connected).toBe(false);
    const dev = await gw.connect('gas-01');
    await dev.publishAsync(topic('gas-01'), '{"metrics":', { qos: 1 });
    await dev.endAsync();
    expect((await gw.api('/api/events', { token: wrongToken })).status).toBe(401);
    expect((await gw.api('/api/events', { headers: { authorization: `Basic ${wrongToken}` }, token: null })).status).toBe(401);
    const token = await createUser(gw, 'audit-reader', 'viewer', ['hb-chem-001']);
    expect((await gw.api('/api/events', { token })).status).toBe(200);
    expect((await outcome(rawClient({ clientId: 'audit-reader', username: 'audit-reader', password: token }))).connected).toBe(true);
    expect((await outcome(rawClient({ clientId: 'audit-reader', username: 'audit-reader', password: `${token}x` }))).connected).toBe(false);
    const hook = await gw.post('/api/webhooks', { url: 'http://127.0.0.1:9/hook', secret: webhookSecret });
    expect(hook.status).toBe(201);
    // A delivery attempt to the dead URL, so the delivery path logs too.
    await raise(gw, 'gas-02', { gas_lel: 70 });
    await eventually(async () => {
      const d = await gw.api(`/api/webhooks/${hook.body.id}/deliveries`);
      return d.body.deliveries?.[0]?.attempts > 0;
    }, 10_000, 'a webhook delivery attempt');

    const all = gw.logs.join('');
    for (const secret of ['gas-01-secret', 'gas-02-secret', wrongSecret, TEST_TOKEN, wrongToken, token, webhookSecret]) {
      expect(all, `the log holds ${secret}`).not.toContain(secret);
    }
  });
});
