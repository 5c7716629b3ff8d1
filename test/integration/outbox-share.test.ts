// One device flooding while InfluxDB is stalled (issue 20, finding 12): it may hold only its
// share of the outbox (GATEWAY_OUTBOX_DEVICE_SHARE, a percentage of GATEWAY_OUTBOX_MAX_BYTES),
// then its PUBACKs wait alone, while another device's publishes are still acknowledged; once
// InfluxDB answers, everything acknowledged is stored.
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

const FLOOD = 1_000;
const metrics = (i: number) => ({ gas_lel: i % 50, temperature: 20 + (i % 7), pressure: 0.2, level: 40 + (i % 11) });

/** `p`, or a clear failure when it has not settled in `ms` (a PUBACK that is being held). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing in ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function client(gw: TestGateway, device: string): Promise<MqttClient> {
  return gw.connect(device, `${device}-secret`, { reconnectPeriod: 0 });
}

async function count(influx: TestInfluxd, device: string): Promise<number> {
  const [r] = await influx.query(`SELECT count("gas_lel") FROM "telemetry" WHERE "device" = $d`, { d: device });
  return Number(r?.series[0]?.values[0]?.[1] ?? 0);
}

async function setup(share: string) {
  const influx = await startTestInfluxd('outbox_share');
  cleanups.push(() => influx.stop());
  // About 140 bytes a reading: the flood (~140 KB) is twice the cap, and 6x the device's share.
  const gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, INFLUX_TIMEOUT: '500ms', GATEWAY_OUTBOX_MAX_BYTES: '65536', GATEWAY_OUTBOX_DEVICE_SHARE: share });
  cleanups.push(() => gw.stop());
  cleanups.push(async () => influx.server.kill('SIGCONT'));
  influx.server.kill('SIGSTOP');
  const flooder = await client(gw, 'gas-01');
  const other = await client(gw, 'gas-02');
  cleanups.push(() => flooder.endAsync(true), () => other.endAsync(true));
  const base = Date.now() - 60_000;
  const acked = new Set<number>();
  for (let i = 0; i < FLOOD; i++) {
    void flooder.publishAsync('sites/hb-chem-001/devices/gas-01/telemetry', JSON.stringify({ ts: base + i, metrics: metrics(i) }), { qos: 1 }).then(() => acked.add(i), () => undefined);
  }
  // The flood is held once its acknowledgements stop coming.
  let last = -1;
  await eventually(async () => {
    const now = acked.size;
    const still = now === last;
    last = now;
    return still && now < FLOOD;
  }, 30_000, "the flooding device's PUBACKs to stop");
  return { influx, gw, flooder, other, acked, base };
}

describe('per-device share of the outbox', () => {
  it("acknowledges another device's publishes while a flooding device waits at its share", async () => {
    const { gw, other, acked } = await setup('25');
    const heldAt = acked.size;
    expect(heldAt).toBeLessThan(FLOOD);
    for (let i = 0; i < 5; i++) {
      await within(other.publishAsync('sites/hb-chem-001/devices/gas-02/telemetry', JSON.stringify({ ts: Date.now() - 1000 + i, metrics: metrics(i) }), { qos: 1 }), 15_000, "the other device's PUBACK");
    }
    // The outbox as a whole still has room: the gateway is ready, and the flooder is still held.
    expect((await gw.api('/readyz', { token: null })).status).toBe(200);
    expect(acked.size).toBeLessThan(FLOOD);
  });

  it('stores every acknowledged reading of both devices once InfluxDB answers again', async () => {
    const { influx, gw, other, acked } = await setup('25');
    await within(other.publishAsync('sites/hb-chem-001/devices/gas-02/telemetry', JSON.stringify({ ts: Date.now() - 1000, metrics: metrics(0) }), { qos: 1 }), 15_000, "the other device's PUBACK");
    influx.server.kill('SIGCONT');
    await eventually(() => acked.size === FLOOD, 60_000, 'every withheld PUBACK of the flooding device');
    expect(await gw.gateway.history.flush(30_000)).toBe(true);
    expect(await count(influx, 'gas-01')).toBe(FLOOD);
    expect(await count(influx, 'gas-02')).toBe(1);
  });

  it('counts the publishes held at a device share', async () => {
    const { gw } = await setup('25');
    const page = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    expect(Number(/^gateway_outbox_device_held_total\{qos="1"\} (\d+)$/m.exec(page)?.[1] ?? 0)).toBeGreaterThan(0);
  });
});
