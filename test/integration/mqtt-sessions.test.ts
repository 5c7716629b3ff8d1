// Persistent MQTT sessions (clean session = 0) survive a gateway restart: subscriptions, QoS 1
// messages queued while the client was away or sent and not yet acknowledged, inbound QoS 2
// awaiting PUBREL; Session Present is right (MQTT-3.2.2-2), and each session's queue is bounded.
// A real gateway is stopped and started again on the same data dir; clients speak raw MQTT.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createUser, raise } from '../helpers/events.js';
import { startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';
import * as raw from '../helpers/mqtt-raw.js';
import { RawMqtt } from '../helpers/mqtt-raw.js';
import { counter } from '../helpers/security.js';

const commands = (device: string) => `sites/hb-chem-001/devices/${device}/commands`;
const device = (id: string, clean = false): raw.ConnectFields => ({ clientId: id, username: id, password: `${id}-secret`, clean });
type Publish = Packet & { topic: string; payload: Buffer; messageId: number; dup: boolean };

/** CONNECT and the CONNACK's Session Present flag (return code 0 expected). */
async function connectSp(port: number, f: raw.ConnectFields): Promise<{ c: RawMqtt; sessionPresent: boolean }> {
  const c = await RawMqtt.login(port, f);
  return { c, sessionPresent: (c.packets[0] as { sessionPresent: boolean }).sessionPresent };
}

/** The next PUBLISH of `c` (skipping acknowledgements). */
async function nextPublish(c: RawMqtt): Promise<Publish> {
  for (;;) {
    const p = await c.next();
    if (p.cmd === 'publish') return p as Publish;
  }
}

async function bye(c: RawMqtt): Promise<void> {
  c.send(raw.disconnect());
  await c.closedWithin(2000);
  c.end();
}

describe('persistent sessions across a gateway restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-sessions-'));
  let gw: TestGateway;
  let port: number;
  let northToken: string;
  const env = { GATEWAY_OVERDUE_CRITICAL: 'off', GATEWAY_OVERDUE_MAJOR: 'off', GATEWAY_OVERDUE_WARNING: 'off' };
  const north = (clean = false): raw.ConnectFields => ({ clientId: 'north', username: 'north', password: northToken, clean });

  async function start() {
    gw = await startTestGateway(env, testRegistry, dir);
    port = Number(new URL(gw.mqttUrl).port);
  }
  async function restart() {
    await gw.stop();
    await start();
  }

  beforeAll(async () => {
    await start();
    northToken = await createUser(gw, 'north', 'supervisor');
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a device's subscription: after a restart it gets Session Present 1 and receives on its topic without subscribing again", async () => {
    const first = await connectSp(port, device('gas-01'));
    expect(first.sessionPresent).toBe(false);
    first.c.send(raw.subscribe(1, [[`${commands('gas-01')}/#`, 1]]));
    expect(await first.c.next()).toMatchObject({ cmd: 'suback', granted: [1] });
    await bye(first.c);
    await restart();
    const again = await connectSp(port, device('gas-01'));
    expect(again.sessionPresent).toBe(true);
    // A command sent now reaches it through the restored subscription.
    const sent = await gw.post('/api/devices/gas-01/commands', { name: 'ping', ttl: 60 }, northToken);
    expect(sent.status).toBeLessThan(300);
    const got = await nextPublish(again.c);
    expect(got.topic).toBe(`${commands('gas-01')}/ping`);
    again.c.send(raw.puback(got.messageId));
    await bye(again.c);
  });

  it('answers Session Present 1 to a stored session without subscriptions, also after a restart (MQTT-3.2.2-2)', async () => {
    const first = await connectSp(port, device('gas-02'));
    expect(first.sessionPresent).toBe(false);
    await bye(first.c);
    const second = await connectSp(port, device('gas-02'));
    expect(second.sessionPresent).toBe(true);
    await bye(second.c);
    await restart();
    const third = await connectSp(port, device('gas-02'));
    expect(third.sessionPresent).toBe(true);
    await bye(third.c);
  });

  it('ends a stored session when the client connects with clean session 1 (Session Present 0 then and after)', async () => {
    const clean = await connectSp(port, device('gas-02', true));
    expect(clean.sessionPresent).toBe(false);
    await bye(clean.c);
    const after = await connectSp(port, device('gas-02'));
    expect(after.sessionPresent).toBe(false);
    await bye(after.c);
  });

  it("delivers after a restart an event queued while a supervisor's persistent session was offline", async () => {
    const a = await connectSp(port, north());
    a.c.send(raw.subscribe(2, [['supervision/#', 1]]));
    expect(await a.c.next()).toMatchObject({ cmd: 'suback', granted: [1] });
    await bye(a.c);
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    await restart();
    const b = await connectSp(port, north());
    expect(b.sessionPresent).toBe(true);
    for (;;) {
      const p = await nextPublish(b.c);
      b.c.send(raw.puback(p.messageId));
      const json = JSON.parse(p.payload.toString('utf8'));
      if (json.event?.id === id || json.eventId === id || JSON.stringify(json).includes(id)) break;
    }
    await bye(b.c);
  });

  it('sends again, with DUP, a QoS 1 message sent before the restart and never acknowledged (MQTT-4.4.0-1)', async () => {
    const a = await connectSp(port, north());
    expect(a.sessionPresent).toBe(true);
    const id = await raise(gw, 'gas-01', { gas_lel: 75 });
    let sent: Publish;
    for (;;) {
      sent = await nextPublish(a.c);
      if (sent.payload.toString('utf8').includes(id)) break;
      a.c.send(raw.puback(sent.messageId));
    }
    // No PUBACK for it: the connection just ends with the gateway.
    await restart();
    expect(await a.c.closedWithin(5000)).toBe(true);
    const b = await connectSp(port, north());
    let again: Publish;
    for (;;) {
      again = await nextPublish(b.c);
      b.c.send(raw.puback(again.messageId));
      if (again.payload.toString('utf8').includes(id)) break;
    }
    expect(again.dup).toBe(true);
    expect(again.payload.equals(sent.payload)).toBe(true);
    await bye(b.c);
  });

  it('keeps an inbound QoS 2 message awaiting PUBREL: its DUP after the restart is answered, not ingested again', async () => {
    const a = await connectSp(port, device('gas-02'));
    const message = { topic: 'sites/hb-chem-001/devices/gas-02/telemetry', payload: JSON.stringify({ metrics: { temperature: 20 } }), qos: 2, id: 33 };
    a.c.send(raw.publish(message));
    expect((await a.c.next()).cmd).toBe('pubrec');
    a.c.end();
    await restart();
    // The counters start at 0 with the new process.
    const b = await connectSp(port, device('gas-02'));
    expect(b.sessionPresent).toBe(true);
    b.c.send(raw.publish({ ...message, dup: true }));
    expect((await b.c.next()).cmd).toBe('pubrec');
    b.c.send(raw.pubrel(33));
    expect((await b.c.next()).cmd).toBe('pubcomp');
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"')).toBe(0);
    await bye(b.c);
  });
});

describe('bounds on persistent sessions', () => {
  let gw: TestGateway;
  let port: number;
  let token: string;

  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_MQTT_SESSION_MAX_MESSAGES: '3', GATEWAY_MQTT_ACCOUNT_SESSIONS: '2', GATEWAY_OVERDUE_CRITICAL: 'off', GATEWAY_OVERDUE_MAJOR: 'off' });
    port = Number(new URL(gw.mqttUrl).port);
    token = await createUser(gw, 'south', 'supervisor');
  });
  afterAll(async () => {
    await gw?.stop();
  });
  const south = (clientId = 'south'): raw.ConnectFields => ({ clientId, username: 'south', password: token, clean: false });

  it('keeps the newest GATEWAY_MQTT_SESSION_MAX_MESSAGES messages of an offline session, dropping and counting the oldest', async () => {
    const a = await connectSp(port, south());
    a.c.send(raw.subscribe(1, [['supervision/#', 1]]));
    expect(await a.c.next()).toMatchObject({ cmd: 'suback' });
    await bye(a.c);
    const before = await counter(gw, 'gateway_mqtt_session_queue_dropped_total', 'reason="messages"');
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    for (const note of ['c1', 'c2', 'c3', 'c4']) expect((await gw.post(`/api/events/${id}/comments`, { note })).status).toBeLessThan(300);
    // raised + 4 comments = 5 queued; 3 kept.
    expect(await counter(gw, 'gateway_mqtt_session_queue_dropped_total', 'reason="messages"')).toBe(before + 2);
    const b = await connectSp(port, south());
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await nextPublish(b.c);
      b.c.send(raw.puback(p.messageId));
      got.push(p.payload.toString('utf8'));
    }
    expect(got.map((g) => ['c2', 'c3', 'c4'].find((n) => g.includes(`"${n}"`)))).toEqual(['c2', 'c3', 'c4']);
    await bye(b.c);
  });

  it('ends the least recently connected stored session of an account over GATEWAY_MQTT_ACCOUNT_SESSIONS', async () => {
    for (const id of ['south.a', 'south.b', 'south.c']) await bye((await connectSp(port, south(id))).c);
    const a = await connectSp(port, south('south.a'));
    expect(a.sessionPresent).toBe(false);
    await bye(a.c);
    const c = await connectSp(port, south('south.c'));
    expect(c.sessionPresent).toBe(true);
    await bye(c.c);
  });
});

describe('stored sessions of devices removed from the registry', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });
  const registryWith = async (devices: (d: { id: string }) => boolean) => {
    const registry = { sites: testRegistry.sites.map((s) => ({ ...s, devices: s.devices.filter(devices) })) };
    writeFileSync(join(gw.dataDir, 'registry.yaml'), stringify(registry));
    expect((await gw.post('/api/registry/reload', {})).status).toBe(200);
  };

  it('ends the stored session of a device removed from the registry, so it is gone when the device comes back', async () => {
    const port = Number(new URL(gw.mqttUrl).port);
    await bye((await connectSp(port, device('gas-02'))).c);
    await registryWith((d) => d.id !== 'gas-02');
    await registryWith(() => true);
    const back = await connectSp(port, device('gas-02'));
    expect(back.sessionPresent).toBe(false);
    await bye(back.c);
  });
});
