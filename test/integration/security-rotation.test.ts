// Rotating a device's credential ends its live sessions (issue 20, finding 8): after a registry
// reload (API, or the file watcher after the CLI) an MQTT connection logged in with the old
// secret and an HJ 212 connection logged in with the old PW are closed; others stay.
import { randomBytes, scryptSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { formatLocalTime, formatPacket, frame } from '../../gateway/src/hj212/index.js';
import { run as registryCli } from '../../gateway/src/registry/cli.js';
import { eventually, startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { ackFor, TestLogger } from '../helpers/hj212-logger.js';
import { connectPacket, outcome } from '../helpers/security.js';
import { stringify } from 'yaml';

let gw: TestGateway | undefined;
const loggers: TestLogger[] = [];
afterEach(async () => {
  for (const l of loggers.splice(0)) l.close();
  await gw?.stop();
  gw = undefined;
});

async function connectOutcome(url: string, id: string, secret: string) {
  const c = mqtt.connect(url, { clientId: id, username: id, password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
  const o = await outcome(c);
  c.end(true);
  return o;
}

async function rotate(file: string, id: string): Promise<string> {
  const out: string[] = [];
  const code = await registryCli(['rotate-secret', '--id', id, '--registry', file], { out: (t) => void out.push(t), err: (t) => void out.push(t), readStdin: async () => '', env: {} });
  expect(code).toBe(0);
  return /\n\s+(\S+)\n/.exec(out.join(''))![1]!;
}

const closed = (c: mqtt.MqttClient) => new Promise<void>((r) => c.once('close', () => r()));

describe('MQTT sessions after a secret rotation', () => {
  it('closes the connection of a device whose secret was rotated once the registry is reloaded', async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    const dev = await gw.connect('gas-01', 'gas-01-secret', { reconnectPeriod: 0 });
    const gone = closed(dev);
    await rotate(join(gw.dataDir, 'registry.yaml'), 'gas-01');
    expect((await gw.post('/api/registry/reload', {})).status).toBe(200);
    await gone;
  });

  it('keeps the connections of devices whose credentials did not change', async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    const rotated = await gw.connect('gas-01', 'gas-01-secret', { reconnectPeriod: 0 });
    const other = await gw.connect('gas-02', 'gas-02-secret', { reconnectPeriod: 0 });
    const gone = closed(rotated);
    await rotate(join(gw.dataDir, 'registry.yaml'), 'gas-01');
    expect((await gw.post('/api/registry/reload', {})).status).toBe(200);
    await gone;
    // Still there: a QoS 1 publish is acknowledged on the same connection.
    await other.publishAsync('sites/hb-chem-001/devices/gas-02/telemetry', JSON.stringify({ ts: Date.now(), metrics: { gas_lel: 1 } }), { qos: 1 });
    expect(other.connected).toBe(true);
    other.end(true);
  });

  it('lets the new secret in and refuses the old one after the rotation', async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    const secret = await rotate(join(gw.dataDir, 'registry.yaml'), 'gas-01');
    expect((await gw.post('/api/registry/reload', {})).status).toBe(200);
    expect((await connectOutcome(gw.mqttUrl, 'gas-01', 'gas-01-secret')).connected).toBe(false);
    expect((await connectOutcome(gw.mqttUrl, 'gas-01', secret)).connected).toBe(true);
  });

  it('closes the connection after the registry CLI alone, through the file watcher', async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    const dev = await gw.connect('gas-01', 'gas-01-secret', { reconnectPeriod: 0 });
    const gone = closed(dev);
    await rotate(join(gw.dataDir, 'registry.yaml'), 'gas-01');
    await gone;
  });

  it('closes the connection of a device moved to another site', async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    const dev = await gw.connect('gas-02', 'gas-02-secret', { reconnectPeriod: 0 });
    const gone = closed(dev);
    const moved = structuredClone(testRegistry);
    const gas02 = moved.sites[0]!.devices.splice(1, 1)[0]!;
    moved.sites[1]!.devices.push(gas02);
    writeFileSync(join(gw.dataDir, 'registry.yaml'), stringify(moved));
    expect((await gw.post('/api/registry/reload', {})).status).toBe(200);
    await gone;
  });
});

describe('a login in progress during a rotation', () => {
  it('refuses a login whose secret check was still running when the secret changed', async () => {
    // A costly hash (N = 2^15, about twice the registry's own cost) keeps the check running while the reload lands.
    const salt = randomBytes(16);
    const slowHash = `scrypt$32768$${salt.toString('base64')}$${scryptSync('gas-01-old-secret', salt, 32, { N: 32768, maxmem: 64 * 1024 * 1024 }).toString('base64')}`;
    const registry: { sites: { devices: Record<string, unknown>[] }[] } = structuredClone(testRegistry);
    registry.sites[0]!.devices[0] = { id: 'gas-01', kind: 'sensor', secretHash: slowHash };
    gw = await startTestGateway({ INFLUX_URL: '' }, registry);
    const rotated = structuredClone(registry);
    rotated.sites[0]!.devices[0] = { id: 'gas-01', kind: 'sensor', secret: 'gas-01-new-secret' };
    const socket = connect(Number(new URL(gw.mqttUrl).port), '127.0.0.1');
    const connack = new Promise<Buffer>((resolve) => socket.once('data', (b: Buffer) => resolve(b)));
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(connectPacket('gas-01', 'gas-01', 'gas-01-old-secret'));
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(gw.dataDir, 'registry.yaml'), stringify(rotated));
    expect((await gw.post('/api/registry/reload', {})).status).toBe(200);
    const answer = await connack;
    socket.destroy();
    // CONNACK: 0x20, 2, flags, return code; 0 would be a session opened with the old secret.
    expect(answer[0]).toBe(0x20);
    expect(answer[3]).not.toBe(0);
  });
});

describe('HJ 212 sessions after a PW change', () => {
  const registry = {
    sites: [
      {
        id: 'plant-01',
        name: 'Example wastewater plant',
        sector: 'pollution_source',
        devices: [
          { id: 'cod-a', protocol: 'hj212', hj212: { mn: 'MNROT0001', password: 'PW-old-0001' } },
          { id: 'cod-b', protocol: 'hj212', hj212: { mn: 'MNROT0002', password: 'PW-keep-0002' } },
        ],
      },
    ],
  };
  let qn = 0;
  const dataFrame = (mn: string, pw: string) => {
    const q = formatLocalTime(Date.now(), 'Asia/Shanghai', true).slice(0, 14) + String(qn++ % 1000).padStart(3, '0');
    const cp = `DataTime=${formatLocalTime(Date.now(), 'Asia/Shanghai')};w01018-Rtd=10.0,w01018-Flag=N`;
    return { qn: q, text: frame(formatPacket({ qn: q, st: '32', cn: '2011', pw, mn, flag: { value: 5, ack: true, split: false, versionBits: 1, version: '2017' }, cp }), 'hj212') };
  };
  async function loggedIn(mn: string, pw: string): Promise<TestLogger> {
    const l = await TestLogger.open(gw!.hj212Port!);
    loggers.push(l);
    const f = dataFrame(mn, pw);
    l.send(f.text);
    await l.until(ackFor(f.qn));
    return l;
  }

  it('closes the connection of a logger whose PW changed and keeps the others', async () => {
    gw = await startTestGateway({ INFLUX_URL: '', GATEWAY_HJ212_PORT: '0' }, registry);
    const a = await loggedIn('MNROT0001', 'PW-old-0001');
    const b = await loggedIn('MNROT0002', 'PW-keep-0002');
    const file = join(gw.dataDir, 'registry.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('PW-old-0001', 'PW-new-0001'));
    expect((await gw.post('/api/registry/reload', {})).status).toBe(200);
    await a.untilClosed(10_000);
    // b logged in with an unchanged PW: its next frame is still acknowledged.
    const f = dataFrame('MNROT0002', 'PW-keep-0002');
    b.send(f.text);
    await b.until(ackFor(f.qn));
    expect(b.closed).toBe(false);
  });
});
