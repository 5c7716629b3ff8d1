// MQTT 3.1.1 as the broker must speak it to any third-party client (issue 21): each case sends
// raw bytes over a real TCP socket to a real gateway, because a client library would refuse to
// send the packet, repair it, or hide the order of the answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import * as raw from '../helpers/mqtt-raw.js';
import { RawMqtt } from '../helpers/mqtt-raw.js';
import { counter } from '../helpers/security.js';

const telemetry = (device: string, extra = '') => `sites/hb-chem-001/devices/${device}/telemetry${extra}`;
const reading = (v: number) => JSON.stringify({ metrics: { temperature: v } });
const login = (device: string, more: Partial<raw.ConnectFields> = {}): raw.ConnectFields => ({ clientId: device, username: device, password: `${device}-secret`, ...more });

describe('MQTT 3.1.1 conformance on raw TCP', () => {
  let gw: TestGateway;
  let port: number;
  const refusals = (reason: string) => counter(gw, 'gateway_mqtt_protocol_errors_total', `reason="${reason}"`);
  const accepted = (channel = 'telemetry') => counter(gw, 'gateway_messages_accepted_total', `channel="${channel}"`);

  beforeAll(async () => {
    gw = await startTestGateway();
    port = Number(new URL(gw.mqttUrl).port);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  /** Sends `bytes` after a good login; resolves whether the gateway closed the connection, and the counter's rise. */
  async function refusedAfterLogin(bytes: Buffer, reason: string) {
    const before = await refusals(reason);
    const c = await RawMqtt.login(port, login('gas-02'));
    c.send(bytes);
    const closed = await c.closedWithin(5000);
    c.end();
    return { closed, counted: (await refusals(reason)) - before, answers: c.packets.slice(1).map((p) => p.cmd) };
  }

  /** Sends a CONNECT; resolves the answers seen before the close and whether it closed. */
  async function connectOutcome(bytes: Buffer) {
    const c = await RawMqtt.open(port);
    c.send(bytes);
    const closed = await c.closedWithin(5000);
    c.end();
    return { closed, answers: c.packets };
  }

  it('acknowledges QoS 1 publishes in the order they arrived, refused payloads and accepted ones alike (MQTT-4.6.0-2)', async () => {
    const c = await RawMqtt.login(port, login('gas-01'));
    // 1 and 3 are valid (acknowledged after the durable write), 2 and 4 are refused by ingest at once.
    c.send(
      raw.publish({ topic: telemetry('gas-01'), payload: reading(1), qos: 1, id: 1 }),
      raw.publish({ topic: telemetry('gas-01'), payload: 'not json', qos: 1, id: 2 }),
      raw.publish({ topic: telemetry('gas-01'), payload: reading(3), qos: 1, id: 3 }),
      raw.publish({ topic: telemetry('gas-01'), payload: '{"metrics":', qos: 1, id: 4 }),
    );
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await c.next();
      expect(p.cmd).toBe('puback');
      ids.push((p as { messageId: number }).messageId);
    }
    expect(ids).toEqual([1, 2, 3, 4]);
    c.end();
  });

  for (const level of [0, 1, 2, 5, 6, 7, 255]) {
    it(`answers protocol level ${level} with CONNACK 0x01 and closes (MQTT-3.1.2-2)`, async () => {
      const before = await refusals('protocol_level');
      const { closed, answers } = await connectOutcome(raw.connect({ ...login('gas-02'), level }));
      expect(answers.map((p) => [p.cmd, (p as { returnCode?: number }).returnCode])).toEqual([['connack', 1]]);
      expect(closed).toBe(true);
      expect(await refusals('protocol_level')).toBe(before + 1);
    });
  }

  it('closes a CONNECT whose will QoS is 3 without CONNACK, and counts bad_will_qos (MQTT-3.1.2-14)', async () => {
    const before = await refusals('bad_will_qos');
    const will = { topic: 'sites/hb-chem-001/devices/gas-02/status', payload: '{"online":false}', qos: 3 };
    const { closed, answers } = await connectOutcome(raw.connect({ ...login('gas-02'), will }));
    expect({ closed, answers }).toEqual({ closed: true, answers: [] });
    expect(await refusals('bad_will_qos')).toBe(before + 1);
  });

  it('closes a CONNECT with a password but no user name without CONNACK (MQTT-3.1.2-22)', async () => {
    const before = await refusals('password_without_username');
    const { closed, answers } = await connectOutcome(raw.connect({ clientId: 'gas-02', password: 'gas-02-secret' }));
    expect({ closed, answers }).toEqual({ closed: true, answers: [] });
    expect(await refusals('password_without_username')).toBe(before + 1);
  });

  it('answers CONNACK 0x02 to a zero-length client id with clean session 0 (MQTT-3.1.3-8)', async () => {
    const { closed, answers } = await connectOutcome(raw.connect({ clientId: '', username: 'gas-02', password: 'gas-02-secret', clean: false }));
    expect(answers.map((p) => [p.cmd, (p as { returnCode?: number }).returnCode])).toEqual([['connack', 2]]);
    expect(closed).toBe(true);
  });

  it('refuses a will topic with + at login (CONNACK 5)', async () => {
    const will = { topic: 'sites/hb-chem-001/devices/+/status', payload: '{"online":false}', qos: 1 };
    const { answers } = await connectOutcome(raw.connect({ ...login('gas-02'), will }));
    expect(answers.map((p) => [p.cmd, (p as { returnCode?: number }).returnCode])).toEqual([['connack', 5]]);
  });

  const badTopics: Array<[string, Buffer]> = [
    ['U+0000', Buffer.from(`${telemetry('gas-02')}\u0000x`, 'utf8')],
    ['an ill-formed UTF-8 sequence', Buffer.concat([Buffer.from(telemetry('gas-02')), Buffer.from([0xc3, 0x28])])],
    ['a lone continuation byte', Buffer.concat([Buffer.from(telemetry('gas-02')), Buffer.from([0x80])])],
    ['an encoded surrogate', Buffer.concat([Buffer.from(telemetry('gas-02')), Buffer.from([0xed, 0xa0, 0x80])])],
  ];
  for (const [what, topic] of badTopics) {
    it(`closes the connection of a PUBLISH whose topic holds ${what}, without PUBACK (MQTT-1.5.3-1/-2)`, async () => {
      const was = await accepted();
      const r = await refusedAfterLogin(raw.publish({ topic, payload: reading(5), qos: 1, id: 9 }), 'bad_utf8');
      expect(r).toEqual({ closed: true, counted: 1, answers: [] });
      expect(await accepted()).toBe(was);
    });
  }

  it('accepts a topic holding well-formed non-ASCII UTF-8 as far as the ACL (a PUBACK, no close)', async () => {
    const c = await RawMqtt.login(port, login('gas-02'));
    c.send(raw.publish({ topic: telemetry('gas-02', '/温度'), payload: reading(5), qos: 1, id: 3 }));
    expect((await c.next()).cmd).toBe('puback');
    expect(c.closed).toBe(false);
    c.end();
  });

  it('closes the connection of a QoS 1 PUBLISH with packet identifier 0, without PUBACK (MQTT-2.3.1-1)', async () => {
    const was = await accepted();
    const r = await refusedAfterLogin(raw.publish({ topic: telemetry('gas-02'), payload: reading(6), qos: 1, id: 0 }), 'packet_id_zero');
    expect(r).toEqual({ closed: true, counted: 1, answers: [] });
    expect(await accepted()).toBe(was);
  });

  it('counts a PUBLISH to a 17-level topic as too_many_levels', async () => {
    const topic = telemetry('gas-02', '/a/b/c/d/e/f/g/h/i/j/k/l');
    expect(topic.split('/').length).toBe(17);
    expect(await refusedAfterLogin(raw.publish({ topic, payload: reading(1), qos: 1, id: 2 }), 'too_many_levels')).toMatchObject({ closed: true, counted: 1 });
  });

  it('counts a QoS 3 PUBLISH as bad_qos', async () => {
    expect(await refusedAfterLogin(raw.publish({ topic: telemetry('gas-02'), payload: reading(1), qos: 3, id: 2 }), 'bad_qos')).toMatchObject({ closed: true, counted: 1 });
  });

  it('counts a second CONNECT on one connection as protocol_order (MQTT-3.1.0-2)', async () => {
    expect(await refusedAfterLogin(raw.connect(login('gas-02')), 'protocol_order')).toMatchObject({ closed: true, counted: 1 });
  });

  it('counts a SUBSCRIBE with a # before the last level as bad_subscribe', async () => {
    expect(await refusedAfterLogin(raw.subscribe(5, [['sites/hb-chem-001/devices/gas-02/commands/#/x', 1]]), 'bad_subscribe')).toMatchObject({ closed: true, counted: 1 });
  });

  it('counts a SUBSCRIBE asking for QoS 3 as bad_subscribe', async () => {
    expect(await refusedAfterLogin(raw.subscribe(6, [['sites/hb-chem-001/devices/gas-02/commands/#', 3]]), 'bad_subscribe')).toMatchObject({ closed: true, counted: 1 });
  });

  it('accepts JSON preceded by a UTF-8 byte order mark', async () => {
    const was = await accepted();
    const c = await RawMqtt.login(port, login('gas-02'));
    c.send(raw.publish({ topic: telemetry('gas-02'), payload: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(reading(7))]), qos: 1, id: 11 }));
    expect((await c.next()).cmd).toBe('puback');
    expect(await accepted()).toBe(was + 1);
    c.end();
  });

  it('hands a QoS 2 message repeated with DUP before PUBREL to ingest once, and answers every copy with PUBREC', async () => {
    const was = await accepted();
    const c = await RawMqtt.login(port, login('gas-02'));
    const message = { topic: telemetry('gas-02'), payload: reading(8), qos: 2, id: 21 };
    c.send(raw.publish(message));
    expect((await c.next()).cmd).toBe('pubrec');
    c.send(raw.publish({ ...message, dup: true }), raw.publish({ ...message, dup: true }));
    expect([(await c.next()).cmd, (await c.next()).cmd]).toEqual(['pubrec', 'pubrec']);
    c.send(raw.pubrel(21));
    expect((await c.next()).cmd).toBe('pubcomp');
    expect(await accepted()).toBe(was + 1);
    // After PUBREL the id is free again: a new message under it is a new reading.
    c.send(raw.publish({ ...message, payload: reading(9) }));
    expect((await c.next()).cmd).toBe('pubrec');
    expect(await accepted()).toBe(was + 2);
    c.end();
  });

  describe('session takeover', () => {
    const will = { topic: 'sites/hb-chem-001/devices/gas-02/status', payload: '{"online":false}', qos: 1 };

    it('publishes a device will when its connection drops (the control for the next case)', async () => {
      const was = await accepted('status');
      const c = await RawMqtt.login(port, login('gas-02', { will }));
      c.end();
      await eventually(async () => (await accepted('status')) === was + 1, 5000, 'the will ingested');
    });

    it('does not ingest the old connection will when a new connection takes the session over', async () => {
      const was = await accepted('status');
      const first = await RawMqtt.login(port, login('gas-02', { will }));
      const second = await RawMqtt.login(port, login('gas-02'));
      expect(await first.closedWithin(5000)).toBe(true);
      // A marker publish from the new connection: once it is acknowledged, a will would have been too.
      second.send(raw.publish({ topic: 'sites/hb-chem-001/devices/gas-02/status', payload: '{"online":true}', qos: 1, id: 1 }));
      expect((await second.next()).cmd).toBe('puback');
      expect(await accepted('status')).toBe(was + 1);
      second.send(raw.disconnect());
      second.end();
    });
  });
});

describe('connection-rate limit on raw TCP', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_MQTT_CONN_PER_SECOND: '2' });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('answers CONNECTs over GATEWAY_MQTT_CONN_PER_SECOND with CONNACK 0x03 (server unavailable), not a reset', async () => {
    const port = Number(new URL(gw.mqttUrl).port);
    const before = await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="connection_rate"');
    const clients = await Promise.all(Array.from({ length: 8 }, () => RawMqtt.open(port)));
    for (const c of clients) c.send(raw.connect({ clientId: 'nobody', username: 'nobody', password: 'x' }));
    const codes = await Promise.all(clients.map(async (c) => ((await c.next()) as { returnCode: number }).returnCode));
    for (const c of clients) c.end();
    // The bucket holds 2: those get in as far as the login (4, unknown device), the rest are told 3.
    expect(codes.filter((rc) => rc === 3).length).toBeGreaterThanOrEqual(5);
    expect(codes.every((rc) => rc === 3 || rc === 4)).toBe(true);
    expect(await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="connection_rate"')).toBe(before + codes.filter((rc) => rc === 3).length);
  });
});

describe('MQTT over WebSocket at /mqtt', () => {
  let gw: TestGateway;
  let wsUrl: string;
  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_MQTT_WS_ORIGINS: 'https://console.example.cn' });
    wsUrl = `${gw.httpUrl.replace('http', 'ws')}/mqtt`;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  /** Opens a WebSocket; resolves with it once open, or with the HTTP status / error that refused it. */
  function open(protocols: string[], headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number; error?: string }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(wsUrl, protocols, { headers });
      ws.once('open', () => resolve({ ws }));
      ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
      ws.once('error', (err) => resolve({ error: err.message }));
    });
  }
  const closed = (ws: WebSocket) => new Promise<void>((r) => (ws.readyState === WebSocket.CLOSED ? r() : ws.once('close', () => r())));

  it('answers the subprotocol mqtt when a client offers it among others (MQTT-6.0.0-4)', async () => {
    const { ws } = await open(['mqttv3.1', 'mqtt', 'chat']);
    expect(ws?.protocol).toBe('mqtt');
    ws?.terminate();
  });

  it('answers no other subprotocol than mqtt, so a client offering only another one fails the handshake', async () => {
    const r = await open(['chat']);
    expect(r.ws).toBeUndefined();
    expect(r.error).toMatch(/subprotocol/i);
  });

  it('closes the connection of a PUBLISH in a text frame and ingests nothing (MQTT-6.0.0-1)', async () => {
    const before = await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="ws_text_frame"');
    const was = await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"');
    const { ws } = await open(['mqtt']);
    // MQTT over WebSocket is a byte stream: the gateway may split a packet over several frames.
    const got: Buffer[] = [];
    ws!.on('message', (m) => got.push(m as Buffer));
    ws!.send(raw.connect(login('gas-01')));
    await eventually(() => Buffer.concat(got).length >= 4, 5000, 'CONNACK');
    ws!.send(raw.publish({ topic: telemetry('gas-01'), payload: reading(1), qos: 1, id: 1 }).toString('latin1'));
    await closed(ws!);
    expect([...Buffer.concat(got)]).toEqual([0x20, 0x02, 0x00, 0x00]);
    expect(await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="ws_text_frame"')).toBe(before + 1);
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"')).toBe(was);
  });

  it('acknowledges a PUBLISH in a binary frame', async () => {
    const { ws } = await open(['mqtt']);
    const got: Buffer[] = [];
    ws!.on('message', (m) => got.push(m as Buffer));
    ws!.send(raw.connect(login('gas-01')));
    await eventually(() => Buffer.concat(got).length >= 4, 5000, 'CONNACK');
    ws!.send(raw.publish({ topic: telemetry('gas-01'), payload: reading(2), qos: 1, id: 5 }));
    await eventually(() => Buffer.concat(got).length >= 8, 5000, 'PUBACK');
    expect([...Buffer.concat(got)]).toEqual([0x20, 0x02, 0x00, 0x00, 0x40, 0x02, 0x00, 0x05]);
    ws!.terminate();
  });

  it('refuses an upgrade from a page of an origin not in GATEWAY_MQTT_WS_ORIGINS with 403, and counts ws_origin', async () => {
    const before = await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="ws_origin"');
    expect((await open(['mqtt'], { origin: 'https://evil.example' })).status).toBe(403);
    expect(await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="ws_origin"')).toBe(before + 1);
  });

  it('lets a page of an origin listed in GATEWAY_MQTT_WS_ORIGINS connect', async () => {
    const { ws } = await open(['mqtt'], { origin: 'https://console.example.cn' });
    expect(ws?.protocol).toBe('mqtt');
    ws?.terminate();
  });

  it("lets a page of the gateway's own origin connect", async () => {
    const { ws } = await open(['mqtt'], { origin: gw.httpUrl });
    expect(ws?.protocol).toBe('mqtt');
    ws?.terminate();
  });
});
