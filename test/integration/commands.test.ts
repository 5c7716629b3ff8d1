// Device commands end to end: a real gateway, real MQTT devices (mqtt.js), real HTTP. A
// supervisor sends a command; the device gets it at QoS 1 (now, or when it connects within the
// TTL), acknowledges it, and answers on its replies channel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../helpers/events.js';
import { eventually, startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let dir: string;
let supervisor: string;
let chemOperator: string;
let viewer: string;

const CHEM = 'hb-chem-001';
const commandsOf = (device: string, site = CHEM) => `sites/${site}/devices/${device}/commands/#`;
const replyTopic = (device: string, id: string, site = CHEM) => `sites/${site}/devices/${device}/replies/${id}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-commands-'));
  gw = await startTestGateway({}, testRegistry, dir);
  supervisor = await createUser(gw, 'sup-wang', 'supervisor');
  chemOperator = await createUser(gw, 'op-chem', 'operator', [CHEM]);
  viewer = await createUser(gw, 'view-all', 'viewer', ['*']);
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A device connected and subscribed to its commands, collecting what it receives. */
async function device(id: string, site = CHEM): Promise<{ client: MqttClient; got: Array<{ topic: string; body: any }> }> {
  const client = await gw.connect(id);
  const got: Array<{ topic: string; body: any }> = [];
  client.on('message', (topic, payload) => got.push({ topic, body: JSON.parse(payload.toString()) }));
  await client.subscribeAsync(commandsOf(id, site), { qos: 1 });
  return { client, got };
}

async function command(id: string) {
  return (await gw.api(`/api/commands/${id}`)).body;
}

async function counter(outcome: string): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const m = new RegExp(`^gateway_command_replies_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

const stateIs = (id: string, state: string, what = state) => eventually(async () => ((await command(id)).state === state ? command(id) : undefined), 10_000, `command ${what}`);

describe('device commands over MQTT', () => {
  it('publishes a command at QoS 1 to an online device, marks it delivered on PUBACK and attaches its reply', async () => {
    const d = await device('gas-01');
    const res = await gw.post('/api/devices/gas-01/commands', { name: 'read', payload: { metrics: ['gas_lel'] }, ttl: 60 }, supervisor);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ device: 'gas-01', site: CHEM, name: 'read', transport: 'mqtt', by: 'sup-wang' });
    expect(res.body.expiresAt - res.body.issuedAt).toBe(60_000);
    const id = res.body.id as string;
    await eventually(() => d.got.length > 0, 10_000, 'the command on the device');
    expect(d.got[0]!.topic).toBe(`sites/${CHEM}/devices/gas-01/commands/read`);
    expect(d.got[0]!.body).toEqual({ id, name: 'read', payload: { metrics: ['gas_lel'] }, issuedAt: res.body.issuedAt, expiresAt: res.body.expiresAt });
    await stateIs(id, 'delivered');
    await d.client.publishAsync(replyTopic('gas-01', id), JSON.stringify({ status: 'ok', result: { gas_lel: 3.2 } }), { qos: 1 });
    const done = await stateIs(id, 'replied');
    expect(done.reply).toMatchObject({ status: 'ok', result: { gas_lel: 3.2 } });
    expect(done.transitions.map((t: any) => t.state)).toEqual(['queued', 'delivered', 'replied']);
    const times = done.transitions.map((t: any) => t.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    await d.client.endAsync();
  });

  it('records every step of a command in the audit trail, actor included', async () => {
    const d = await device('gas-01');
    const { body } = await gw.post('/api/devices/gas-01/commands', { name: 'ping' }, supervisor);
    await stateIs(body.id, 'delivered');
    await d.client.publishAsync(replyTopic('gas-01', body.id), JSON.stringify({ status: 'error', message: 'sensor warming up' }), { qos: 1 });
    await stateIs(body.id, 'failed');
    const rows = (await gw.api(`/api/audit?site=${CHEM}&limit=500`)).body.records.filter((r: any) => r.kind === 'command' && r.detail?.id === body.id);
    expect(rows.map((r: any) => [r.type, r.actor])).toEqual([
      ['command.queued', 'sup-wang'],
      ['command.delivered', 'device'],
      ['command.failed', 'device'],
    ]);
    expect((await gw.api('/api/audit/verify')).body.ok).toBe(true);
    await d.client.endAsync();
  });

  it('keeps a command for an offline device and delivers it when the device connects within the TTL', async () => {
    const res = await gw.post('/api/devices/gas-02/commands', { name: 'read', ttl: 120 }, supervisor);
    expect(res.status).toBe(202);
    expect(res.body.state).toBe('queued');
    await new Promise((r) => setTimeout(r, 300));
    expect((await command(res.body.id)).state).toBe('queued');
    const d = await device('gas-02');
    await eventually(() => d.got.some((m) => m.body.id === res.body.id), 10_000, 'the queued command on connect');
    await stateIs(res.body.id, 'delivered');
    await d.client.endAsync();
  });

  it('keeps a queued command across a gateway restart and delivers it afterwards', async () => {
    const res = await gw.post('/api/devices/ch4-01/commands', { name: 'read', ttl: 300 }, supervisor);
    expect(res.body.state).toBe('queued');
    await gw.stop();
    gw = await startTestGateway({}, testRegistry, dir);
    const d = await device('ch4-01', 'mine-007');
    await eventually(() => d.got.some((m) => m.body.id === res.body.id), 10_000, 'the command after the restart');
    await stateIs(res.body.id, 'delivered');
    await d.client.endAsync();
  });

  it('delivers a command once to a device with a persistent session that was offline, after it reconnects', async () => {
    const first = await gw.connect('gas-02', undefined, { clean: false });
    await first.subscribeAsync(commandsOf('gas-02'), { qos: 1 });
    await first.endAsync();
    const res = await gw.post('/api/devices/gas-02/commands', { name: 'read', ttl: 120 }, supervisor);
    const again = await gw.connect('gas-02', undefined, { clean: false });
    const got: string[] = [];
    again.on('message', (_t, p) => got.push(JSON.parse(p.toString()).id));
    await stateIs(res.body.id, 'delivered');
    await new Promise((r) => setTimeout(r, 300));
    expect(got.filter((id) => id === res.body.id)).toHaveLength(1);
    await again.endAsync();
  });

  it("does not forward a device's own publish on its commands topic back to it", async () => {
    const d = await device('gas-01');
    await d.client.publishAsync(`sites/${CHEM}/devices/gas-01/commands/read`, JSON.stringify({ id: '00000000-0000-4000-8000-000000000001', name: 'read', payload: {}, issuedAt: 1, expiresAt: 2 }), { qos: 1 });
    const real = (await gw.post('/api/devices/gas-01/commands', { name: 'read' }, supervisor)).body;
    await eventually(() => d.got.some((m) => m.body.id === real.id), 10_000, 'the real command');
    expect(d.got.map((m) => m.body.id)).toEqual([real.id]);
    await d.client.endAsync();
  });

  it('never sends a command whose TTL passed while the device was offline, and marks it expired', async () => {
    const res = await gw.post('/api/devices/cam-01/commands', { name: 'snapshot', ttl: 1 }, supervisor);
    const expired = await stateIs(res.body.id, 'expired');
    expect(expired.transitions.map((t: any) => t.state)).toEqual(['queued', 'expired']);
    expect(expired.transitions[1].at).toBeGreaterThanOrEqual(res.body.expiresAt);
    const d = await device('cam-01');
    // A later command proves the device is subscribed and receiving; the expired one never comes.
    const later = (await gw.post('/api/devices/cam-01/commands', { name: 'snapshot' }, supervisor)).body;
    await eventually(() => d.got.some((m) => m.body.id === later.id), 10_000, 'the later command');
    expect(d.got.map((m) => m.body.id)).not.toContain(res.body.id);
    expect((await command(res.body.id)).state).toBe('expired');
    await d.client.endAsync();
  });

  it('marks a delivered command that gets no reply within its TTL expired', async () => {
    const d = await device('gas-02');
    const res = await gw.post('/api/devices/gas-02/commands', { name: 'read', ttl: 1 }, supervisor);
    const expired = await stateIs(res.body.id, 'expired');
    expect(expired.transitions.map((t: any) => t.state)).toEqual(['queued', 'delivered', 'expired']);
    expect(expired.transitions[2].detail).toEqual({ delivered: true });
    await d.client.endAsync();
  });

  it("closes the connection of a device that publishes on another device's replies topic, and attaches nothing", async () => {
    const target = (await gw.post('/api/devices/gas-02/commands', { name: 'read' }, supervisor)).body;
    const intruder = await gw.connect('gas-01');
    const closed = new Promise<void>((r) => intruder.once('close', () => r()));
    intruder.publish(replyTopic('gas-02', target.id), JSON.stringify({ status: 'ok' }), { qos: 1 });
    await closed;
    expect((await command(target.id)).state).toBe('queued');
    expect((await command(target.id)).reply).toBeNull();
  });

  it("refuses and counts a reply on the device's own channel naming another device's command", async () => {
    const target = (await gw.post('/api/devices/gas-02/commands', { name: 'read' }, supervisor)).body;
    const before = await counter('foreign');
    const d = await gw.connect('gas-01');
    await d.publishAsync(replyTopic('gas-01', target.id), JSON.stringify({ status: 'ok' }), { qos: 1 });
    expect(await counter('foreign')).toBe(before + 1);
    expect((await command(target.id)).reply).toBeNull();
    expect(gw.logs.some((l) => l.includes('command reply refused') && l.includes('"outcome":"foreign"'))).toBe(true);
    await d.endAsync();
  });

  it('refuses and counts replies to unknown and expired commands and replies that are not the reply schema', async () => {
    const d = await gw.connect('gas-01');
    const unknown = await counter('unknown');
    await d.publishAsync(replyTopic('gas-01', '00000000-0000-4000-8000-000000000000'), JSON.stringify({ status: 'ok' }), { qos: 1 });
    expect(await counter('unknown')).toBe(unknown + 1);
    const old = (await gw.post('/api/devices/gas-01/commands', { name: 'read', ttl: 1 }, supervisor)).body;
    await stateIs(old.id, 'expired');
    const expired = await counter('expired');
    await d.publishAsync(replyTopic('gas-01', old.id), JSON.stringify({ status: 'ok' }), { qos: 1 });
    expect(await counter('expired')).toBe(expired + 1);
    expect((await command(old.id)).reply).toBeNull();
    const bad = await counter('bad_payload');
    const fresh = (await gw.post('/api/devices/gas-01/commands', { name: 'read' }, supervisor)).body;
    await d.publishAsync(replyTopic('gas-01', fresh.id), JSON.stringify({ status: 'done', extra: 1 }), { qos: 1 });
    expect(await counter('bad_payload')).toBe(bad + 1);
    expect((await command(fresh.id)).reply).toBeNull();
    await d.endAsync();
  });
});

describe('who may command a device', () => {
  it('answers 403 to an operator and a viewer sending a command, and queues nothing', async () => {
    const before = (await gw.api('/api/devices/gas-01/commands?limit=500')).body.commands.length;
    for (const token of [chemOperator, viewer]) {
      const res = await gw.post('/api/devices/gas-01/commands', { name: 'read' }, token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('GW_FORBIDDEN');
    }
    expect((await gw.api('/api/devices/gas-01/commands?limit=500')).body.commands.length).toBe(before);
  });

  it('answers 404 for an unknown device and 401 without a token', async () => {
    const res = await gw.post('/api/devices/nope-01/commands', { name: 'read' }, supervisor);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
    expect((await gw.post('/api/devices/gas-01/commands', { name: 'read' }, null)).status).toBe(401);
  });

  it("lets an operator follow the commands of the own sites and not of others", async () => {
    const own = await gw.api('/api/devices/gas-01/commands', { token: chemOperator });
    expect(own.status).toBe(200);
    expect(own.body.commands.length).toBeGreaterThan(0);
    expect((await gw.api(`/api/commands/${own.body.commands[0].id}`, { token: chemOperator })).status).toBe(200);
    const mine = (await gw.api('/api/devices/ch4-01/commands')).body.commands[0];
    expect((await gw.api('/api/devices/ch4-01/commands', { token: chemOperator })).status).toBe(404);
    expect((await gw.api(`/api/commands/${mine.id}`, { token: chemOperator })).status).toBe(404);
    expect((await gw.post('/api/devices/gas-01/commands', { name: 'read' }, undefined)).status).toBe(202);
  });
});

describe('what a command may be', () => {
  it('refuses with 400 a name that is not one safe topic level, a payload over 8 KiB and a TTL out of range', async () => {
    for (const body of [{ name: 'a/b' }, { name: '#' }, { name: '+' }, { name: '$sys' }, { name: 'read', ttl: 0 }, { name: 'read', ttl: 86_401 }, { name: 'read', payload: { blob: 'x'.repeat(9000) } }, { name: 'read', extra: 1 }]) {
      const res = await gw.post('/api/devices/gas-01/commands', body, supervisor);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body.error.code).toBe('GW_BAD_REQUEST');
    }
  });

  it('answers 429 once a device has 16 commands waiting, naming the limit', async () => {
    let last = { status: 0, body: {} as any };
    for (let i = 0; i < 20 && last.status !== 429; i++) last = await gw.post('/api/devices/gas-02/commands', { name: 'read', ttl: 600 }, supervisor);
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('GW_RATE_LIMITED');
    expect(last.body.error.message).toMatch(/16 commands waiting/);
    const waiting = (await gw.api('/api/devices/gas-02/commands?limit=500')).body.commands.filter((c: any) => c.state === 'queued');
    expect(waiting).toHaveLength(16);
  });
});
