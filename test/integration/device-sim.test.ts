import { readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes, type AuthenticateError } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../gateway/src/ingest/index.js';
import { parseTopic } from '../../gateway/src/protocol/index.js';
import { parseRegistry, verifySecret, type RegistryFile } from '../../gateway/src/registry/index.js';
import { generateRegistry, start, type PublishedMessage, type SimStats } from '../../device-sim/src/index.js';

// A real broker over TCP, with the gateway's credential rule: username = client id = a
// registered device id, password = its secret. A watcher account subscribes to everything.
const WATCHER = { username: 'watcher', password: 'watcher-secret' };
const fleet: RegistryFile = generateRegistry({ sites: 2, devicesPerSite: 3, camerasPerSite: 1, sector: 'mixed', seed: 'integration' });
const registry = parseRegistry(fleet);

interface Received {
  topic: string;
  payload: Buffer;
}

let broker: Aedes;
let server: Server;
let url: string;

async function watch(): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await mqtt.connectAsync(url, { ...WATCHER, clientId: `watcher-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  const received: Received[] = [];
  client.on('message', (topic, payload) => received.push({ topic, payload }));
  await client.subscribeAsync('sites/#', { qos: 1 });
  return { client, received };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

beforeAll(async () => {
  broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const secret = password?.toString();
      const check = async (): Promise<boolean> => {
        if (username === WATCHER.username) return secret === WATCHER.password;
        const device = username === undefined ? undefined : registry.device(username);
        return device !== undefined && client.id === username && secret !== undefined && (await verifySecret(secret, device.entry));
      };
      check().then(
        (ok) => (ok ? done(null, true) : done(Object.assign(new Error('bad username or password'), { returnCode: 4 }) as AuthenticateError, false)),
        () => done(Object.assign(new Error('server unavailable'), { returnCode: 3 }) as AuthenticateError, false),
      );
    },
  });
  server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a two-second run at 50 readings/s with QoS 1', () => {
  const recordFile = join(tmpdir(), `device-sim-it-${process.pid}.ndjson`);
  const published: PublishedMessage[] = [];
  let received: Received[] = [];
  let stats: SimStats;

  beforeAll(async () => {
    const watcher = await watch();
    const handle = await start({
      url,
      registry: fleet,
      duration: '2s',
      rate: 50,
      qos: 1,
      seed: 'integration',
      startTime: 'now',
      record: recordFile,
      onPublish: (m) => published.push(m),
    });
    await handle.done;
    stats = handle.stats();
    await until(() => watcher.received.length >= stats.sent);
    received = watcher.received;
    await watcher.client.endAsync();
  });

  afterAll(async () => {
    await rm(recordFile, { force: true });
  });

  it('connects every device of the registry', () => {
    const devices = new Set(received.map((r) => parseTopic(r.topic)?.device));
    expect(devices).toEqual(new Set(registry.devices().map((d) => d.device)));
    expect(stats.rejectedConnects).toBe(0);
  });

  it('publishes about rate times duration readings', () => {
    const readings = published.filter((m) => m.channel !== 'status').length;
    expect(readings).toBeGreaterThanOrEqual(90);
    expect(readings).toBeLessThanOrEqual(101);
  });

  it('delivers exactly the messages it counts as sent', () => {
    expect(received.length).toBe(stats.sent);
    expect(published.length).toBe(stats.sent);
  });

  it('counts a broker acknowledgement for every QoS 1 publish', () => {
    expect(stats.acked).toBe(stats.sent);
    expect(stats.errors).toBe(0);
  });

  it('publishes only on the topics of the sending device, with payloads the gateway accepts', () => {
    for (const r of received) {
      const topic = parseTopic(r.topic);
      expect(topic, r.topic).not.toBeNull();
      const device = registry.device(topic!.device)!;
      expect(device.site).toBe(topic!.site);
      const decoded = decodeMessage(r.topic, r.payload, device, Date.now());
      expect(decoded, `${r.topic} ${r.payload.toString()}`).toMatchObject({ ok: true });
    }
  });

  it('sends vision from cameras and telemetry from sensors', () => {
    for (const r of received) {
      const topic = parseTopic(r.topic)!;
      if (topic.channel === 'status') continue;
      expect(topic.channel).toBe(registry.device(topic.device)!.kind === 'camera' ? 'vision' : 'telemetry');
    }
  });

  it('says online when it starts and offline when it stops, for every device', () => {
    const statuses = received.filter((r) => r.topic.endsWith('/status')).map((r) => `${parseTopic(r.topic)!.device} ${r.payload.toString()}`);
    for (const d of registry.devices()) {
      expect(statuses).toContain(`${d.device} {"online":true}`);
      expect(statuses).toContain(`${d.device} {"online":false}`);
    }
  });

  it('records every published message as one NDJSON line in the replay format', async () => {
    const lines = (await readFile(recordFile, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(stats.sent);
    const first = JSON.parse(lines[1]!) as { topic: string; payload: unknown; receivedAt: number };
    expect(Object.keys(first)).toEqual(['topic', 'payload', 'receivedAt']);
    expect(first.topic).toBe(published[1]!.topic);
    expect(first.payload).toEqual(published[1]!.payload);
    expect(Math.abs(first.receivedAt - Date.now())).toBeLessThan(60_000);
  });

  it('leaves no device connected once done', () => {
    expect(stats.connected).toBe(0);
  });
});

describe('a device whose secret the broker does not know', () => {
  it('is refused, counted, and publishes nothing while the others run', async () => {
    const wrong = structuredClone(fleet);
    const victim = wrong.sites[0]!.devices[0]!;
    victim.secret = 'not-the-registered-secret';
    const watcher = await watch();
    const handle = await start({ url, registry: wrong, duration: '1s', rate: 30, qos: 1, seed: 'refused', startTime: 'now' });
    await handle.done;
    const stats = handle.stats();
    await until(() => watcher.received.length >= stats.sent);
    await watcher.client.endAsync();
    expect(stats.rejectedConnects).toBe(1);
    expect(stats.skipped).toBeGreaterThan(0);
    expect(watcher.received.some((r) => parseTopic(r.topic)?.device === victim.id)).toBe(false);
    expect(watcher.received.length).toBe(stats.sent);
  });
});

describe('the silent scenario against a broker', () => {
  it('drops the connection so the will fires, then reconnects and says online again', async () => {
    const device = fleet.sites[0]!.devices[0]!.id;
    const watcher = await watch();
    const handle = await start({
      url,
      registry: fleet,
      duration: '2500ms',
      rate: 30,
      qos: 1,
      seed: 'silent',
      startTime: 'now',
      scenarios: [`${device}=silent:at=500ms,for=800ms`],
    });
    await handle.done;
    await until(() => watcher.received.length >= handle.stats().sent + 1);
    await watcher.client.endAsync();
    const statuses = watcher.received.filter((r) => r.topic.endsWith(`/${device}/status`)).map((r) => JSON.parse(r.payload.toString()) as { online: boolean });
    // online at start, offline from the will, online on return, offline at the end
    expect(statuses.map((s) => s.online)).toEqual([true, false, true, false]);
    expect(handle.stats().reconnects).toBeGreaterThanOrEqual(1);
  });
});
