// The simulator answers commands: a real gateway writing to a real influxd, the device
// simulator's devices over real MQTT, commands sent over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type SimHandle } from '../../device-sim/src/index.js';
import type { RegistryFile } from '../../gateway/src/protocol/index.js';
import { seriesRows } from '../../gateway/src/storage/index.js';
import { eventually, startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

let influx: TestInfluxd;
let gw: TestGateway;
let sim: SimHandle;

beforeAll(async () => {
  influx = await startTestInfluxd();
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database });
  // A slow schedule: what the test looks for comes from the commands, not the schedule.
  sim = await start({ url: gw.mqttUrl, registry: testRegistry as RegistryFile, rate: 0.5, qos: 1, startTime: 'now', quiet: true });
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  await gw?.stop();
  await influx?.stop();
});

const replied = (id: string) => eventually(async () => {
  const c = (await gw.api(`/api/commands/${id}`)).body;
  return c.state === 'replied' ? c : undefined;
}, 20_000, `command ${id} replied`);

describe('the simulator answering commands', () => {
  it('reads a sensor now: the reading it replies with is the one stored in InfluxDB', async () => {
    const sent = await gw.post('/api/devices/gas-01/commands', { name: 'read', ttl: 60 });
    expect(sent.status).toBe(202);
    const c = await replied(sent.body.id);
    expect(c.transitions.map((t: any) => t.state)).toEqual(['queued', 'delivered', 'replied']);
    const metrics = c.reply.result.metrics as Record<string, number>;
    const [name, value] = Object.entries(metrics)[0]!;
    await gw.gateway.history.flush();
    const rows = await eventually(async () => {
      const [result] = await influx.query(`SELECT "${name}" FROM "telemetry" WHERE "device" = 'gas-01' AND time >= ${(sent.body.issuedAt - 1000) * 1e6}`);
      const r = result?.series.flatMap(seriesRows) ?? [];
      return r.length > 0 ? r : undefined;
    }, 20_000, 'the reading in InfluxDB');
    expect(rows.map((r) => r[name])).toContain(value);
  });

  it('takes a snapshot with a camera now: the reply names the picture the gateway kept as evidence', async () => {
    const sent = await gw.post('/api/devices/cam-01/commands', { name: 'snapshot', ttl: 60 });
    const c = await replied(sent.body.id);
    const sha = c.reply.result.picture as string;
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    const pic = await eventually(async () => {
      const res = await fetch(`${gw.httpUrl}/api/evidence/${sha}`, { headers: { authorization: 'Bearer test-token-0123456789abcdef' } });
      return res.status === 200 ? res : undefined;
    }, 10_000, 'the picture in the evidence store');
    expect(pic.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await pic.arrayBuffer()).length).toBe(c.reply.result.bytes);
  });

  it('refuses a command it does not know, and the command is marked refused', async () => {
    const sent = await gw.post('/api/devices/gas-02/commands', { name: 'reboot' });
    const c = await eventually(async () => {
      const r = (await gw.api(`/api/commands/${sent.body.id}`)).body;
      return r.state === 'refused' ? r : undefined;
    }, 20_000, 'the refusal');
    expect(c.reply.message).toMatch(/answers "read" only/);
  });
});
