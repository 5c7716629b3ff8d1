import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocalTime, formatPacket, frame } from '../../gateway/src/hj212/index.js';
import { startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { TestLogger } from '../helpers/hj212-logger.js';
import { basic, push } from '../helpers/push.js';
import { counter, outcome } from '../helpers/security.js';

// One count of failed device logins for MQTT, HTTP push and HJ 212 (real sockets, one gateway):
// a guesser alternating protocols gets no more attempts than one protocol gives.
const registry = {
  sites: [...testRegistry.sites, { id: 'plant-09', name: 'Backoff plant', sector: 'pollution_source', devices: [{ id: 'cod-09', protocol: 'hj212', hj212: { mn: 'MNBO0009', password: 'PW-MNBO0009', crc: 'hj212' } }] }],
};

let gw: TestGateway;
const clients: MqttClient[] = [];

beforeAll(async () => {
  // The default 5 free failures; per address 10x that.
  gw = await startTestGateway({ GATEWAY_HJ212_PORT: '0' }, registry);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await gw?.stop();
});

const mqttLogin = (device: string, secret: string) => {
  const c = mqtt.connect(gw.mqttUrl, { clientId: device, username: device, password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
  clients.push(c);
  return outcome(c);
};
const httpPush = (device: string, secret: string) => push(gw.httpUrl, 'telemetry', '{"metrics":{"temperature":20}}', { auth: basic(device, secret) });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fails until refused (the backoff starts), then twice more after each wait (1 s, then 2 s),
 * so the wait ahead is 4 s: long enough for the next attempts on a loaded machine.
 */
async function failIntoBackoff(fail: (i: number) => Promise<'failed' | 'refused'>, max: number): Promise<number> {
  let i = 0;
  while ((await fail(i)) === 'failed') if (++i >= max) throw new Error(`still no backoff after ${max} failures`);
  for (const wait of [1_100, 2_100]) {
    await sleep(wait);
    expect(await fail(++i)).toBe('failed');
  }
  return i;
}

describe('failed device logins counted once across protocols', () => {
  it('backs off a device id after 5 wrong secrets alternating between MQTT and HTTP, refusing the right one on both', async () => {
    const failed = await failIntoBackoff(async (i) => {
      if (i % 2 === 0) {
        const o = await mqttLogin('gas-01', `wrong-${i}`);
        return !o.connected && o.error?.code === 5 ? 'refused' : 'failed';
      }
      return (await httpPush('gas-01', `wrong-${i}`)).status === 429 ? 'refused' : 'failed';
    }, 20);
    // The 6th attempt was the first refused: 3 on MQTT + 2 on HTTP. Apart, neither had reached 5.
    expect(failed).toBe(7);
    const refused = await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="login_backoff"');
    expect(await mqttLogin('gas-01', 'gas-01-secret')).toMatchObject({ connected: false, error: { code: 5 } });
    expect(await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="login_backoff"')).toBe(refused + 1);
    const res = await httpPush('gas-01', 'gas-01-secret');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  // Last: it puts the test's address into backoff.
  it('refuses an HJ 212 login with the right PW once the address failed 50 times over HTTP', async () => {
    // Each failure under another device id: no identity reaches its limit, the address does.
    await failIntoBackoff(async (i) => ((await httpPush(`nobody-${i}`, 'x')).status === 429 ? 'refused' : 'failed'), 80);
    const before = await counter(gw, 'gateway_hj212_frames_total', 'outcome="login_backoff"');
    const logger = await TestLogger.open(gw.hj212Port!);
    const qn = formatLocalTime(Date.now(), 'Asia/Shanghai', true).slice(0, 17);
    logger.send(frame(formatPacket({ qn, st: '32', cn: '2011', pw: 'PW-MNBO0009', mn: 'MNBO0009', flag: { value: 5, ack: true, split: false, versionBits: 1, version: '2017' }, cp: `DataTime=${formatLocalTime(Date.now(), 'Asia/Shanghai')};w01018-Rtd=1.0` }), 'hj212'));
    await logger.untilClosed();
    expect(await counter(gw, 'gateway_hj212_frames_total', 'outcome="login_backoff"')).toBe(before + 1);
    // And the address waits on MQTT too, for a device that never failed.
    expect(await mqttLogin('gas-02', 'gas-02-secret')).toMatchObject({ connected: false, error: { code: 5 } });
  });
});
