// API accounts over MQTT and SSE (issue 20, findings 3 and 7): a disabled user's live feeds end
// at once, and an account's client id can never be a device's (device ids may contain dots).
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, raise } from '../helpers/events.js';
import { startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { counter, outcome, stillServing } from '../helpers/security.js';
import { openSse } from '../helpers/sse.js';

const registry = {
  sites: [
    ...testRegistry.sites,
    { id: 'north', name: 'North works', sector: 'mining', devices: [{ id: 'north.gas-01', kind: 'sensor', secret: 'north.gas-01-secret' }] },
  ],
};

function account(gw: TestGateway, clientId: string, username: string, password: string): MqttClient {
  return mqtt.connect(gw.mqttUrl, { clientId, username, password, reconnectPeriod: 0, connectTimeout: 5000 });
}

async function userId(gw: TestGateway, name: string): Promise<string> {
  const list = await gw.api('/api/users');
  return (list.body.users as Array<{ id: string; name: string }>).find((u) => u.name === name)!.id;
}

/** Resolves true if `p` settles within `ms`. */
const within = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('API accounts', () => {
  let gw: TestGateway;
  let northToken: string;
  beforeAll(async () => {
    gw = await startTestGateway({}, registry);
    northToken = await createUser(gw, 'north', 'supervisor');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("ends a disabled user's open event stream at once", async () => {
    const token = await createUser(gw, 'leaver', 'viewer', ['mine-007']);
    const s = await openSse(`${gw.httpUrl}/api/events/stream`, { token });
    expect(s.status).toBe(200);
    expect((await gw.api(`/api/users/${await userId(gw, 'leaver')}`, { method: 'DELETE' })).status).toBe(200);
    expect(await within(s.ended, 5000)).toBe(true);
    s.close();
  });

  it("sends a disabled user's stream no transition recorded after the disabling", async () => {
    const token = await createUser(gw, 'leaver-2', 'viewer', ['mine-007']);
    const s = await openSse(`${gw.httpUrl}/api/events/stream`, { token });
    await gw.api(`/api/users/${await userId(gw, 'leaver-2')}`, { method: 'DELETE' });
    await raise(gw, 'ch4-01', { ch4: 2.5 + Math.random() });
    s.close();
    expect(s.messages).toEqual([]);
  });

  it("closes a disabled supervisor's MQTT connection at once", async () => {
    const token = await createUser(gw, 'night-shift', 'supervisor');
    const c = account(gw, 'night-shift', 'night-shift', token);
    expect((await outcome(c)).connected).toBe(true);
    await c.subscribeAsync('supervision/#', { qos: 1 });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    await gw.api(`/api/users/${await userId(gw, 'night-shift')}`, { method: 'DELETE' });
    expect(await within(closed, 5000)).toBe(true);
    c.end(true);
  });

  it('refuses an account whose client id is a device id that starts with the account name', async () => {
    const before = await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="client_id_mismatch"');
    const c = account(gw, 'north.gas-01', 'north', northToken);
    const o = await outcome(c);
    c.end(true);
    expect(o.connected).toBe(false);
    expect(await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="client_id_mismatch"')).toBe(before + 1);
  });

  it('leaves the device connected when an account logs in with its client id', async () => {
    const dev = await gw.connect('north.gas-01');
    const c = account(gw, 'north.gas-01', 'north', northToken);
    await outcome(c);
    c.end(true);
    // Had the account been let in, its session would have taken the device's over.
    await stillServing(gw);
    expect(dev.connected).toBe(true);
    await dev.endAsync();
  });

  it("refuses an account whose client id is another account's name", async () => {
    const token = await createUser(gw, 'east', 'supervisor');
    await createUser(gw, 'east.ops', 'supervisor');
    const c = account(gw, 'east.ops', 'east', token);
    const o = await outcome(c);
    c.end(true);
    expect(o.connected).toBe(false);
  });
});
