import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { makeJpeg, NOT_A_PICTURE } from '../helpers/pictures.js';
import { basic, push, pushWithCertificate } from '../helpers/push.js';
import { counter, startedPorts } from '../helpers/security.js';

// Devices pushing over real HTTP into a real gateway with a real influxd.
let gw: TestGateway;
let influx: TestInfluxd;

beforeAll(async () => {
  influx = await startTestInfluxd('gateway_http_ingest');
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_EVIDENCE_MAX_BYTES: '16384', GATEWAY_INGEST_MAX_ITEMS: '5', GATEWAY_OVERDUE_CRITICAL: 'off', GATEWAY_OVERDUE_MAJOR: 'off' });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
});

const raisedFor = (device: string) => {
  const seen: Array<{ id: string; rule: string }> = [];
  const off = gw.gateway.onTransition((a) => a.event.device === device && a.transition.type === 'raised' && seen.push({ id: a.event.id, rule: a.event.rule }));
  return { seen, off };
};

describe('telemetry pushed over HTTP', () => {
  it('accepts one payload, runs the rules on it and answers only once it is stored', async () => {
    const r = raisedFor('gas-01');
    const res = await push(gw.httpUrl, 'telemetry', JSON.stringify({ metrics: { gas_lel: 61 } }));
    r.off();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, channel: 'telemetry' });
    // The raise happened before the answer: the rules ran on the accepted reading.
    expect(r.seen.map((e) => e.rule)).toContain('hazchem.combustible-gas');
    const rows = await eventually(async () => {
      const q = await influx.query(`SELECT gas_lel FROM telemetry WHERE device = 'gas-01'`);
      return q[0]?.series?.[0]?.values?.length ? q[0].series[0].values : null;
    }, 20_000, 'the reading in InfluxDB');
    expect(rows.map((v) => v[1])).toContain(61);
  });

  it('gives one result per item of an array, accepting the good ones', async () => {
    const res = await push(gw.httpUrl, 'telemetry', JSON.stringify([{ metrics: { temperature: 21 } }, { metrics: { temperature: 'hot' } }, { metrics: { Bad: 1 } }]));
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toBe(2);
    expect(res.body.results.map((r: { ok: boolean; reason?: string }) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'invalid_payload', 'invalid_payload']);
  });

  it('refuses an array longer than GATEWAY_INGEST_MAX_ITEMS and accepts none of it', async () => {
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"');
    const res = await push(gw.httpUrl, 'telemetry', JSON.stringify(Array.from({ length: 6 }, () => ({ metrics: { temperature: 20 } }))));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('GW_PAYLOAD_TOO_LARGE');
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"')).toBe(before);
  });

  it('counts a rejected item under the same reasons as MQTT', async () => {
    const before = await counter(gw, 'gateway_messages_rejected_total', 'reason="invalid_payload"');
    const res = await push(gw.httpUrl, 'telemetry', JSON.stringify({ metrics: { temperature: 'hot' } }));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'GW_PAYLOAD_REJECTED', reason: 'invalid_payload' });
    expect(await counter(gw, 'gateway_messages_rejected_total', 'reason="invalid_payload"')).toBe(before + 1);
  });

  it('refuses a body that names another device, and nothing reaches that device', async () => {
    const r = raisedFor('gas-02');
    const res = await push(gw.httpUrl, 'telemetry', JSON.stringify({ device: 'gas-02', metrics: { gas_lel: 90 } }));
    r.off();
    expect(res.status).toBe(422);
    expect(res.body.error.reason).toBe('foreign_device');
    expect(r.seen).toEqual([]);
  });

  it('refuses a body naming another site the same way', async () => {
    const res = await push(gw.httpUrl, 'telemetry', JSON.stringify({ site: 'mine-007', metrics: { ch4: 3 } }));
    expect(res.body.error.reason).toBe('foreign_device');
  });

  it('refuses JSON nested deeper than the MQTT limit', async () => {
    const deep = '{"metrics":{"a":' + '['.repeat(20) + ']'.repeat(20) + '}}';
    const res = await push(gw.httpUrl, 'telemetry', deep);
    expect(res.status).toBe(400);
  });

  it('refuses a body that is not JSON', async () => {
    const res = await push(gw.httpUrl, 'telemetry', '{"metrics": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('GW_BAD_REQUEST');
  });

  it('refuses a content type other than JSON on a canonical path', async () => {
    const res = await push(gw.httpUrl, 'telemetry', 'gas_lel=1', { contentType: 'text/plain' });
    expect(res.status).toBe(415);
  });

  it('answers 404 for a path neither canonical nor served by a profile of the device', async () => {
    const res = await push(gw.httpUrl, 'frigate', '{}');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
  });

  it('takes a status payload', async () => {
    const res = await push(gw.httpUrl, 'status', JSON.stringify({ online: true }));
    expect(res.body).toEqual({ ok: true, channel: 'status' });
  });
});

describe('vision pushed over HTTP with its picture', () => {
  const cam = basic('cam-01');
  const vision = (picture: Buffer, contentType = 'image/jpeg') =>
    JSON.stringify({ camera: 'dock-1', detections: [{ type: 'intrusion', confidence: 0.9, bbox: [1, 2, 3, 4] }], picture: { contentType, data: picture.toString('base64') } });

  it('stores the picture and serves it by the hash in the event', async () => {
    const jpg = makeJpeg(31);
    const r = raisedFor('cam-01');
    const res = await push(gw.httpUrl, 'vision', vision(jpg), { auth: cam });
    r.off();
    expect(res.status).toBe(200);
    const event = (await gw.api(`/api/events/${r.seen[0]!.id}`)).body;
    const pic = await gw.api(`/api/evidence/${event.evidence[0].picture}`);
    expect(pic.status).toBe(200);
  });

  it('refuses a picture over GATEWAY_EVIDENCE_MAX_BYTES with 413', async () => {
    const res = await push(gw.httpUrl, 'vision', vision(Buffer.concat([makeJpeg(32), Buffer.alloc(20_000)])), { auth: cam });
    expect(res.status).toBe(413);
  });

  it('refuses a picture that is not an image with its reason', async () => {
    const res = await push(gw.httpUrl, 'vision', vision(NOT_A_PICTURE), { auth: cam });
    expect(res.status).toBe(422);
    expect(res.body.error.reason).toBe('not_a_picture');
  });
});

describe('device credentials over HTTP', () => {
  it('answers 401 with a Basic challenge when no credentials are sent', async () => {
    const res = await push(gw.httpUrl, 'telemetry', '{"metrics":{"temperature":1}}', { auth: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(res.body.error.code).toBe('GW_DEVICE_UNAUTHORIZED');
  });

  it('refuses a wrong secret and counts it', async () => {
    const before = await counter(gw, 'gateway_http_ingest_auth_failures_total', 'reason="bad_secret"');
    const res = await push(gw.httpUrl, 'telemetry', '{"metrics":{"temperature":1}}', { auth: basic('gas-01', 'wrong-secret') });
    expect(res.status).toBe(401);
    expect(await counter(gw, 'gateway_http_ingest_auth_failures_total', 'reason="bad_secret"')).toBe(before + 1);
  });

  it('refuses an unknown device with the same answer as a wrong secret', async () => {
    const res = await push(gw.httpUrl, 'telemetry', '{"metrics":{"temperature":1}}', { auth: basic('nobody', 'whatever-secret') });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('unknown device or bad secret');
  });

  it('keeps secrets out of the log', () => {
    expect(gw.logs.join('\n')).not.toContain('wrong-secret');
  });

  // Last in this file: it puts the test's address into backoff.
  it('backs off after repeated failures, refusing even the right secret until the wait is over', async () => {
    for (let i = 0; i < 6; i++) await push(gw.httpUrl, 'telemetry', '{"metrics":{"temperature":1}}', { auth: basic('gas-01', `guess-${i}`) });
    const res = await push(gw.httpUrl, 'telemetry', '{"metrics":{"temperature":1}}');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('a device pushing over HTTPS with a client certificate', () => {
  let certs: TestCerts;
  let tgw: TestGateway;
  let httpsPort: number;

  beforeAll(async () => {
    certs = makeTestCerts();
    tgw = await startTestGateway({ GATEWAY_MQTTS_PORT: '0', GATEWAY_TLS_CERT: certs.serverCert, GATEWAY_TLS_KEY: certs.serverKey, GATEWAY_TLS_CA: certs.clientCa });
    httpsPort = startedPorts(tgw).httpPort;
  }, 60_000);
  afterAll(async () => {
    await tgw?.stop();
    certs?.remove();
  });

  it('accepts the certificate of a registered device in place of a secret', async () => {
    const res = await pushWithCertificate(httpsPort, 'telemetry', { metrics: { temperature: 22 } }, { ca: certs.serverCertPem, ...certs.client('gas-01') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, channel: 'telemetry' });
  });

  it('refuses a certificate whose CN is no registered device', async () => {
    const res = await pushWithCertificate(httpsPort, 'telemetry', { metrics: { temperature: 22 } }, { ca: certs.serverCertPem, ...certs.client('stranger') });
    expect(res.status).toBe(401);
  });
});
