// Every configurable limit, each set small so a test can cross it: the gateway refuses what
// is over the limit, counts it under its reason, and keeps serving everyone else.
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { counter, outcome, stillServing as serving } from '../helpers/security.js';

const topic = (device: string, channel = 'telemetry') => `sites/hb-chem-001/devices/${device}/${channel}`;
const detection = { type: 'no_helmet', confidence: 0.9 };

describe('limits on MQTT messages and API requests', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      GATEWAY_MQTT_MAX_PACKET_BYTES: '2048',
      GATEWAY_MAX_TOPIC_LENGTH: '64',
      GATEWAY_MAX_PAYLOAD_BYTES: '512',
      GATEWAY_MAX_METRICS: '3',
      GATEWAY_MAX_DETECTIONS: '2',
      // A vision message is 4 deep ({detections: [{bbox: [..]}]}); one more is too deep.
      GATEWAY_MAX_JSON_DEPTH: '4',
      GATEWAY_API_BODY_LIMIT: '1024',
      GATEWAY_API_MAX_PAGE: '50',
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const stillServing = () => serving(gw);

  /** Publishes from a fresh connection; resolves with the rejection counter's rise and whether it stayed connected. */
  async function publishRejected(device: string, channel: string, payload: string | Buffer, reason: string) {
    const before = await counter(gw, 'gateway_messages_rejected_total', `reason="${reason}"`);
    const dev = await gw.connect(device);
    await dev.publishAsync(topic(device, channel), payload, { qos: 1 });
    const rise = (await counter(gw, 'gateway_messages_rejected_total', `reason="${reason}"`)) - before;
    const connected = dev.connected;
    await dev.endAsync();
    return { rise, connected };
  }

  it('closes the connection of a packet over GATEWAY_MQTT_MAX_PACKET_BYTES and counts packet_too_large', async () => {
    const before = await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="packet_too_large"');
    const dev = await gw.connect('gas-01');
    const closed = new Promise<void>((r) => dev.once('close', () => r()));
    dev.publish(topic('gas-01'), Buffer.alloc(3000, 0x20), { qos: 1 });
    await closed;
    expect(await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="packet_too_large"')).toBe(before + 1);
    await stillServing();
  });

  it('closes the connection of a publish to a topic over GATEWAY_MAX_TOPIC_LENGTH and counts topic_too_long', async () => {
    const before = await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="topic_too_long"');
    const dev = await gw.connect('gas-01');
    const closed = new Promise<void>((r) => dev.once('close', () => r()));
    dev.publish(`${topic('gas-01')}/${'x'.repeat(40)}`, JSON.stringify({ metrics: { temperature: 1 } }), { qos: 1 });
    await closed;
    expect(await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="topic_too_long"')).toBe(before + 1);
    await stillServing();
  });

  it('rejects a payload over GATEWAY_MAX_PAYLOAD_BYTES (under the packet limit) as payload_too_large', async () => {
    const metrics = { temperature: 1 };
    const padded = JSON.stringify({ metrics }).replace('{', `{${' '.repeat(600)}`);
    expect(await publishRejected('gas-01', 'telemetry', padded, 'payload_too_large')).toEqual({ rise: 1, connected: true });
  });

  it('rejects a message with more metrics than GATEWAY_MAX_METRICS as too_many_metrics and keeps the device connected', async () => {
    const payload = JSON.stringify({ metrics: { a: 1, b: 2, c: 3, d: 4 } });
    expect(await publishRejected('gas-01', 'telemetry', payload, 'too_many_metrics')).toEqual({ rise: 1, connected: true });
  });

  it('accepts a message with exactly GATEWAY_MAX_METRICS metrics', async () => {
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"');
    const dev = await gw.connect('gas-01');
    await dev.publishAsync(topic('gas-01'), JSON.stringify({ metrics: { a: 1, b: 2, c: 3 } }), { qos: 1 });
    await dev.endAsync();
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"')).toBe(before + 1);
  });

  it('rejects a vision message with more detections than GATEWAY_MAX_DETECTIONS as too_many_detections', async () => {
    const payload = JSON.stringify({ camera: 'cam-01', detections: [detection, detection, detection] });
    expect(await publishRejected('cam-01', 'vision', payload, 'too_many_detections')).toEqual({ rise: 1, connected: true });
  });

  it('rejects JSON nested deeper than GATEWAY_MAX_JSON_DEPTH as json_too_deep', async () => {
    const payload = JSON.stringify({ camera: 'cam-01', detections: [{ ...detection, bbox: [1, 2, 3, [4]] }] });
    expect(await publishRejected('cam-01', 'vision', payload, 'json_too_deep')).toEqual({ rise: 1, connected: true });
  });

  it('does not count brackets inside strings towards the JSON depth', async () => {
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="vision"');
    const dev = await gw.connect('cam-01');
    await dev.publishAsync(topic('cam-01', 'vision'), JSON.stringify({ camera: 'cam-01', detections: [detection], snapshot: 'https://x/[[[[[[{{{{' }), { qos: 1 });
    await dev.endAsync();
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="vision"')).toBe(before + 1);
  });

  it('answers 413 GW_PAYLOAD_TOO_LARGE to a JSON body over GATEWAY_API_BODY_LIMIT', async () => {
    const res = await gw.post('/api/webhooks', { url: 'http://127.0.0.1:9/hook', secret: 'x'.repeat(200), items: Array.from({ length: 100 }, (_, i) => `item-${i}`) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('GW_PAYLOAD_TOO_LARGE');
    expect((await gw.api('/api/webhooks')).body.webhooks).toEqual([]);
  });

  it('answers 400 to a page size over the largest the route allows', async () => {
    const res = await gw.api('/api/events?limit=1001');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('limit');
  });

  it('answers 400 to a page size over GATEWAY_API_MAX_PAGE', async () => {
    const res = await gw.api('/api/events?limit=51');
    expect(res.status).toBe(400);
  });
});

describe('the limit on new MQTT connections per address per second', () => {
  let gw: TestGateway;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_MQTT_CONN_PER_SECOND: '2' });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await gw?.stop();
  });

  it('closes within 2 s the silent connections of a burst beyond GATEWAY_MQTT_CONN_PER_SECOND and counts connection_rate', async () => {
    const before = await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="connection_rate"');
    const port = Number(new URL(gw.mqttUrl).port);
    const fates = await Promise.all(
      Array.from({ length: 10 }, () =>
        new Promise<'closed' | 'open'>((resolve) => {
          const s = netConnect(port, '127.0.0.1');
          sockets.push(s);
          s.on('error', () => undefined);
          s.on('close', () => resolve('closed'));
          // One over the limit waits at most 2 s for a CONNECT (to answer CONNACK 0x03, see
          // mqtt-conformance.test.ts); one the gateway kept waits 10 s: not closed within this time.
          setTimeout(() => resolve('open'), 3500).unref();
        }),
      ),
    );
    const closed = fates.filter((f) => f === 'closed').length;
    // The bucket holds 2 and refills 2 a second: at most a few of a 10-connection burst get in.
    expect(closed).toBeGreaterThanOrEqual(7);
    expect(closed).toBeLessThan(10);
    expect(await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="connection_rate"')).toBe(before + closed);
  });

  it('lets a device connect again once the second has passed', async () => {
    for (const s of sockets) s.destroy();
    // Refill is time itself: wait for one token (0.5 s at 2 a second) plus margin.
    await new Promise((r) => setTimeout(r, 1100));
    const dev = await gw.connect('gas-01');
    expect(dev.connected).toBe(true);
    await dev.endAsync();
  });
});

describe('the backoff after failed logins from one address', () => {
  let gw: TestGateway;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_LOGIN_FREE_FAILURES: '2' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await gw?.stop();
  });

  const attempt = (secret: string) => {
    const c = mqtt.connect(gw.mqttUrl, { clientId: 'gas-01', username: 'gas-01', password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(c);
    return outcome(c);
  };

  it('refuses even the right secret as login_backoff after GATEWAY_LOGIN_FREE_FAILURES wrong ones, then lets it in once the backoff passed', async () => {
    expect(await attempt('wrong-secret-1')).toMatchObject({ connected: false, error: { code: 4 } });
    expect(await attempt('wrong-secret-2')).toMatchObject({ connected: false, error: { code: 4 } });
    const failedAt = Date.now();
    const before = await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="login_backoff"');
    expect(await attempt('gas-01-secret')).toMatchObject({ connected: false, error: { code: 5 } });
    expect(await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="login_backoff"')).toBe(before + 1);
    // The first backoff step is 1 s after the last failure; refusals during it do not extend it.
    const ok = await eventually(async () => {
      const o = await attempt('gas-01-secret');
      return o.connected ? o : undefined;
    }, 5000, 'the right secret to be accepted again');
    expect(ok.connected).toBe(true);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(900);
    expect(Date.now() - failedAt).toBeLessThan(3000);
  });
});
