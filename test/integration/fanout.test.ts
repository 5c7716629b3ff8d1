import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, publishTelemetry, raise, resolveAndClose } from '../helpers/events.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { openSse, type SseClient } from '../helpers/sse.js';

// Only warning events go overdue (after 2 s); the other tests use critical and major events.
let gw: TestGateway;
let supervisorToken: string;
let operatorToken: string;
const open: Array<{ close(): void } | MqttClient> = [];

beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_OVERDUE_CRITICAL: 'off', GATEWAY_OVERDUE_MAJOR: 'off', GATEWAY_OVERDUE_WARNING: '2s' });
  supervisorToken = await createUser(gw, 'sup-ana', 'supervisor');
  operatorToken = await createUser(gw, 'op-bo', 'operator', ['mine-007']);
});

afterAll(async () => {
  for (const c of open) 'endAsync' in c ? await c.endAsync(true) : c.close();
  await gw?.stop();
});

async function sse(query = '', opts: { token?: string; lastEventId?: number | string } = {}): Promise<SseClient> {
  const client = await openSse(`${gw.httpUrl}/api/events/stream${query}`, { token: opts.token ?? TEST_TOKEN, ...(opts.lastEventId !== undefined ? { lastEventId: opts.lastEventId } : {}) });
  open.push(client);
  return client;
}

interface Received {
  topic: string;
  qos: number;
  json: any;
}
interface Subscriber {
  client: MqttClient;
  messages: Received[];
  until(match: (m: Received) => boolean, what: string): Promise<Received>;
}

async function connectAccount(username: string, password: string, clientId = username): Promise<MqttClient> {
  const client = mqtt.connect(gw.mqttUrl, { clientId, username, password, reconnectPeriod: 0, connectTimeout: 5000 });
  open.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

async function subscriber(username: string, password: string): Promise<Subscriber> {
  const client = await connectAccount(username, password);
  const messages: Received[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, qos: packet.qos, json: JSON.parse(payload.toString('utf8')) });
    for (const w of [...waiters]) w();
  });
  const granted = await client.subscribeAsync('supervision/#', { qos: 1 });
  expect(granted[0]!.qos).toBe(1);
  return {
    client,
    messages,
    until: (match, what) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = messages.find(match);
          if (!m) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`MQTT: timed out waiting for ${what}`))), 10_000);
        if (!check()) waiters.add(check);
      }),
  };
}

const ofEvent = (id: string) => (m: { json: any }) => m.json?.event?.id === id;

describe('Server-Sent Events', () => {
  it('sends each transition with the audit seq as its id and the transition JSON as its data', async () => {
    const stream = await sse();
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    const m = await stream.until(ofEvent(id), 10_000, 'the raised transition');
    expect(m.event).toBe('transition');
    expect(m.id).toBe(String(m.json.seq));
    const audit = (await gw.api(`/api/audit?event=${id}`)).body.records[0];
    expect(m.json).toMatchObject({ seq: audit.seq, type: 'raised', actor: 'mining.methane', severity: 'critical', value: 2, note: audit.note, disposition: null });
    expect(Date.parse(m.json.at)).toBe(audit.at);
    expect(m.json.event).toMatchObject({ id, rule: 'mining.methane', item: 'MN-01', site: 'mine-007', device: 'ch4-01', state: 'open', severity: 'critical' });
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    await stream.until((x) => ofEvent(id)(x) && x.json.type === 'resolved', 10_000, 'the resolved transition');
  });

  it("sends an event's transitions in the order they were recorded", async () => {
    const stream = await sse('?site=hb-chem-001');
    const id = await raise(gw, 'gas-01', { gas_lel: 75 });
    await gw.post(`/api/events/${id}/acknowledge`, {});
    await gw.post(`/api/events/${id}/comments`, { note: 'evacuating zone B' });
    await resolveAndClose(gw, id);
    await stream.until((m) => ofEvent(id)(m) && m.json.type === 'closed', 10_000, 'the closed transition');
    const mine = stream.messages.filter(ofEvent(id));
    expect(mine.map((m) => m.json.type)).toEqual(['raised', 'acknowledged', 'commented', 'resolved', 'closed']);
    const ids = mine.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(mine.at(-1)!.json).toMatchObject({ disposition: 'false_alarm', actor: 'admin', event: { state: 'closed' } });
  });

  it('replays what a client missed when it reconnects with Last-Event-ID, in order and once, then goes on live', async () => {
    const first = await sse();
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    const seen = await first.until(ofEvent(id), 10_000, 'the raised transition');
    first.close();
    await first.ended;

    // Missed while disconnected.
    await gw.post(`/api/events/${id}/acknowledge`, { note: 'while you were away' });
    await gw.post(`/api/events/${id}/comments`, { note: 'ventilation up' });

    const again = await sse('', { lastEventId: seen.id! });
    const replay = await again.take(2);
    expect(replay.map((m) => [m.json.event.id, m.json.type])).toEqual([
      [id, 'acknowledged'],
      [id, 'commented'],
    ]);
    expect(Number(replay[0]!.id)).toBeGreaterThan(Number(seen.id));
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    const live = await again.until((m) => m.json.type === 'resolved', 10_000, 'the live resolved transition');
    expect(live.json.event.id).toBe(id);
    expect(again.messages.map((m) => m.id)).toEqual([...new Set(again.messages.map((m) => m.id))]);
    expect(again.messages.some((m) => m.id === seen.id)).toBe(false);
  });

  it('replays each missed transition with the same data a client connected throughout received', async () => {
    const live = await sse();
    const away = await sse();
    const marker = await raise(gw, 'gas-02', { gas_lel: 88 });
    const last = await away.until(ofEvent(marker), 10_000, 'the marker');
    away.close();
    await away.ended;

    // raised, escalated, acknowledged, resolved by the rule: the event changes under each.
    const id = await raise(gw, 'ch4-01', { ch4: 1.1 });
    await publishTelemetry(gw, 'ch4-01', { ch4: 1.9 });
    await gw.post(`/api/events/${id}/acknowledge`, {});
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.3 });
    await live.until((m) => ofEvent(id)(m) && m.json.type === 'resolved', 10_000, 'the live resolved');

    const back = await sse('', { lastEventId: last.id! });
    const replay = await back.take(4);
    const sentLive = live.messages.filter(ofEvent(id));
    expect(replay.map((m) => m.json.event.state)).toEqual(['open', 'open', 'acknowledged', 'resolved']);
    expect(replay.map((m) => [m.id, m.json])).toEqual(sentLive.map((m) => [m.id, m.json]));
    await resolveAndClose(gw, marker);
  });

  it('sends only the chosen site with ?site=', async () => {
    const stream = await sse('?site=mine-007');
    const chem = await raise(gw, 'gas-02', { gas_lel: 90 });
    const mine = await raise(gw, 'ch4-01', { ch4: 2 });
    await stream.until(ofEvent(mine), 10_000, 'the mine event');
    expect(stream.messages.some(ofEvent(chem))).toBe(false);
    expect(stream.messages.every((m) => m.json.event.site === 'mine-007')).toBe(true);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    await resolveAndClose(gw, chem);
  });

  it('sends only events at or above ?minSeverity=', async () => {
    const stream = await sse('?minSeverity=critical');
    const major = await raise(gw, 'ch4-01', { ch4: 1.2 });
    const critical = await raise(gw, 'gas-02', { gas_lel: 90 });
    await stream.until(ofEvent(critical), 10_000, 'the critical event');
    expect(stream.messages.some(ofEvent(major))).toBe(false);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    await resolveAndClose(gw, critical);
  });

  it('sends only events of exactly ?severity=', async () => {
    const stream = await sse('?severity=major');
    const critical = await raise(gw, 'gas-02', { gas_lel: 90 });
    const major = await raise(gw, 'ch4-01', { ch4: 1.2 });
    await stream.until(ofEvent(major), 10_000, 'the major event');
    expect(stream.messages.some(ofEvent(critical))).toBe(false);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    await resolveAndClose(gw, critical);
  });

  it("sends an operator only the events of the operator's own sites", async () => {
    const stream = await sse('', { token: operatorToken });
    const chem = await raise(gw, 'gas-02', { gas_lel: 90 });
    const mine = await raise(gw, 'ch4-01', { ch4: 2 });
    await stream.until(ofEvent(mine), 10_000, 'the mine event');
    expect(stream.messages.some(ofEvent(chem))).toBe(false);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    await resolveAndClose(gw, chem);
  });

  it('answers 401 to a stream request without a valid token', async () => {
    const stream = await sse('', { token: 'not-a-token-00000000' });
    expect(stream.status).toBe(401);
    expect(stream.body.error.code).toBe('GW_UNAUTHORIZED');
  });
});

describe('MQTT fan-out', () => {
  it('publishes each transition with QoS 1 to supervision/events/{site} for a supervisor account', async () => {
    const sub = await subscriber('sup-ana', supervisorToken);
    const stream = await sse();
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    const m = await sub.until(ofEvent(id), 'the raised transition');
    expect(m.topic).toBe('supervision/events/mine-007');
    expect(m.qos).toBe(1);
    // The same JSON as the SSE data.
    const s = await stream.until(ofEvent(id), 10_000, 'the SSE copy');
    expect(m.json).toEqual(s.json);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    await sub.until((x) => ofEvent(id)(x) && x.json.type === 'resolved', 'the resolved transition');
  });

  it("delivers an event's transitions in order on its site topic", async () => {
    const sub = await subscriber('sup-ana', supervisorToken);
    const id = await raise(gw, 'gas-01', { gas_lel: 66 });
    await gw.post(`/api/events/${id}/acknowledge`, {});
    await resolveAndClose(gw, id, 'confirmed_violation');
    await sub.until((m) => ofEvent(id)(m) && m.json.type === 'closed', 'the closed transition');
    const mine = sub.messages.filter(ofEvent(id));
    expect(mine.map((m) => m.json.type)).toEqual(['raised', 'acknowledged', 'resolved', 'closed']);
    expect(mine.every((m) => m.topic === 'supervision/events/hb-chem-001')).toBe(true);
    const seqs = mine.map((m) => m.json.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('lets the built-in admin account subscribe to supervision/#', async () => {
    const client = await connectAccount('admin', TEST_TOKEN);
    const granted = await client.subscribeAsync('supervision/#', { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
  });

  it('refuses supervision/# to an operator account with SUBACK 0x80 and keeps the connection', async () => {
    const client = await connectAccount('op-bo', operatorToken);
    await expect(client.subscribeAsync('supervision/#', { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    expect(client.connected).toBe(true);
  });

  it('refuses an account whose client id is not its user name', async () => {
    await expect(connectAccount('sup-ana', supervisorToken, 'someone-else')).rejects.toMatchObject({ code: 2 });
  });

  it('refuses an account whose password is not its own API token', async () => {
    await expect(connectAccount('sup-ana', operatorToken)).rejects.toMatchObject({ code: 4 });
  });
});

describe('overdue and maintenance in the fan-out', () => {
  it('sends an overdue event again to every subscriber, at each interval until acknowledged', async () => {
    const sub = await subscriber('sup-ana', supervisorToken);
    const stream = await sse();
    const id = await raise(gw, 'gas-02', { toxic_ppm: 12 });
    const overdueTwice = (ms: Array<{ json: any }>) => ms.filter((m) => ofEvent(id)(m) && m.json.type === 'overdue').length >= 2;
    await sub.until(() => overdueTwice(sub.messages), 'two overdue messages over MQTT');
    await stream.until(() => overdueTwice(stream.messages), 10_000, 'two overdue messages over SSE');
    const m = stream.messages.find((x) => ofEvent(id)(x) && x.json.type === 'overdue')!;
    expect(m.json).toMatchObject({ actor: 'system', severity: 'warning', event: { state: 'open' } });
    await gw.post(`/api/events/${id}/acknowledge`, {});
  });

  it('records an event raised inside a maintenance window and sends it to no subscriber', async () => {
    const sub = await subscriber('sup-ana', supervisorToken);
    const stream = await sse();
    const now = Date.now();
    const win = await gw.post('/api/maintenance', { site: 'mine-007', start: now - 1000, end: now + 60_000, reason: 'shaft inspection' });
    const hidden = await raise(gw, 'ch4-01', { ch4: 2 });
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    // A later, visible event: once it arrives, anything sent before it has arrived too.
    const marker = await raise(gw, 'gas-01', { gas_lel: 77 });
    await sub.until(ofEvent(marker), 'the marker event over MQTT');
    await stream.until(ofEvent(marker), 10_000, 'the marker event over SSE');
    expect(sub.messages.some(ofEvent(hidden))).toBe(false);
    expect(stream.messages.some(ofEvent(hidden))).toBe(false);
    const d = (await gw.api(`/api/events/${hidden}`)).body;
    expect(d).toMatchObject({ suppressed: true, state: 'resolved' });
    // Nor is it replayed to a client catching up.
    const replay = await sse('', { lastEventId: 0 });
    await replay.until(ofEvent(marker), 10_000, 'the marker in the replay');
    expect(replay.messages.some(ofEvent(hidden))).toBe(false);
    await gw.post(`/api/maintenance/${win.body.id}/end`, undefined);
    await resolveAndClose(gw, marker);
  });
});
