// The login backoff (issue 20, finding 6): failures count per identity and address, and are
// charged when the attempt starts, before the asynchronous secret check.
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../gateway/src/registry/index.js';
import { startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { connectPacket, counter, outcome } from '../helpers/security.js';

// gas-01's secret as a scrypt hash, as in production: its check is asynchronous.
const registry = {
  sites: testRegistry.sites.map((site) => ({
    ...site,
    devices: site.devices.map((d) => (d.id === 'gas-01' ? { id: d.id, kind: d.kind, secretHash: hashSecret('gas-01-secret') } : d)),
  })),
};

describe('login backoff per identity and address', () => {
  let gw: TestGateway | undefined;
  const clients: MqttClient[] = [];

  // A fresh gateway per test: the backoff state is the thing under test.
  beforeEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
    await gw?.stop();
    gw = await startTestGateway({ GATEWAY_LOGIN_FREE_FAILURES: '2', GATEWAY_MQTT_CONN_PER_SECOND: '0' }, registry);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await gw?.stop();
  });

  const attempt = (device: string, secret: string) => {
    const c = mqtt.connect(gw!.mqttUrl, { clientId: device, username: device, password: secret, reconnectPeriod: 0, connectTimeout: 8000 });
    clients.push(c);
    return outcome(c, 20_000).finally(() => c.end(true));
  };
  const failures = (reason: string) => counter(gw!, 'gateway_mqtt_auth_failures_total', `reason="${reason}"`);

  it("keeps counting one device's wrong secrets when another device logs in from the same address", async () => {
    for (let i = 0; i < 2; i++) {
      expect((await attempt('gas-01', `wrong-${i}`)).connected).toBe(false);
      expect((await attempt('gas-02', 'gas-02-secret')).connected).toBe(true);
    }
    expect(await attempt('gas-01', 'gas-01-secret')).toMatchObject({ connected: false, error: { code: 5 } });
  });

  it('checks no more concurrent wrong CONNECTs than GATEWAY_LOGIN_FREE_FAILURES', async () => {
    const before = await failures('bad_secret');
    // Raw sockets, all connected first, then 40 CONNECTs written in one go: they reach the
    // gateway together, before any secret check has finished.
    const sockets = await Promise.all(
      Array.from({ length: 40 }, () => new Promise<Socket>((r) => {
        const s = netConnect(Number(new URL(gw!.mqttUrl).port), '127.0.0.1', () => r(s));
        s.on('error', () => undefined);
      })),
    );
    const answered = sockets.map((s) => new Promise<void>((r) => (s.once('data', () => r()), s.once('close', () => r()))));
    sockets.forEach((s, i) => s.write(connectPacket('gas-01', 'gas-01', `wrong-${i}`)));
    await Promise.all(answered);
    for (const s of sockets) s.destroy();
    expect((await failures('bad_secret')) - before).toBeLessThanOrEqual(2);
  });

  it('lets another device in from an address where one device is in backoff', async () => {
    for (let i = 0; i < 3; i++) await attempt('gas-01', `wrong-${i}`);
    expect((await attempt('gas-02', 'gas-02-secret')).connected).toBe(true);
  });

  it('refuses every identity from an address once it has failed ten times the per-identity allowance', async () => {
    // 2 free failures per identity, so 20 for the address: 10 identities x 2 wrong secrets.
    for (let n = 0; n < 10; n++) for (let i = 0; i < 2; i++) await attempt(`guess-${n}`, 'wrong');
    expect(await attempt('gas-02', 'gas-02-secret')).toMatchObject({ connected: false, error: { code: 5 } });
  });
});
