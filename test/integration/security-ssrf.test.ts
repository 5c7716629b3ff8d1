// Webhooks as a way into the internal network (issue 20, finding 5): targets on loopback,
// link-local, private or unspecified addresses are refused in every spelling, after DNS
// resolution, at creation and again at delivery, unless GATEWAY_WEBHOOK_ALLOW names them.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raise } from '../helpers/events.js';
import { eventually, startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const SECRET = 'a-webhook-secret-of-some-length';

describe('webhook targets', () => {
  let gw: TestGateway;
  let influx: TestInfluxd;
  beforeAll(async () => {
    influx = await startTestInfluxd();
    gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database });
  });
  afterAll(async () => {
    await gw?.stop();
    await influx?.stop();
  });

  const port = () => new URL(influx.url).port;
  const create = (url: string) => gw.post('/api/webhooks', { url, secret: SECRET });

  it("refuses a webhook to the gateway's InfluxDB on 127.0.0.1 with 400 GW_BAD_REQUEST", async () => {
    const res = await create(`http://127.0.0.1:${port()}/query?q=${encodeURIComponent('DROP SERIES FROM telemetry')}`);
    expect([res.status, res.body.error.code]).toEqual([400, 'GW_BAD_REQUEST']);
    expect(res.body.error.message).toContain('GATEWAY_WEBHOOK_ALLOW');
    expect((await gw.api('/api/webhooks')).body.webhooks).toEqual([]);
  });

  for (const [form, url] of [
    ['a decimal number', `http://2130706433:PORT/query`],
    ['hexadecimal parts', `http://0x7f.1:PORT/query`],
    ['IPv6 loopback', `http://[::1]:PORT/query`],
    ['IPv4-mapped IPv6', `http://[::ffff:127.0.0.1]:PORT/query`],
    ['the unspecified address', `http://0.0.0.0:PORT/query`],
    ['a name that resolves to loopback', `http://localhost:PORT/query`],
    ['userinfo before the host', `http://example.org@127.0.0.1:PORT/query`],
    ['the link-local metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a 10/8 private address', 'http://10.20.30.40/hook'],
    ['a 192.168/16 private address', 'http://192.168.1.10/hook'],
    ['a 172.16/12 private address', 'http://172.20.0.5/hook'],
    ['an IPv6 unique-local address', 'http://[fd00::5]/hook'],
  ] as const) {
    it(`refuses a loopback or private target written as ${form}`, async () => {
      const res = await create(url.replace('PORT', port()));
      expect(res.status).toBe(400);
    });
  }

  it('leaves the readings in InfluxDB untouched after the refused attempts', async () => {
    await raise(gw, 'ch4-01', { ch4: 2 });
    await eventually(async () => {
      const [r] = await influx.query(`SELECT COUNT("ch4") FROM "telemetry" WHERE "device" = 'ch4-01'`);
      return (r?.series?.length ?? 0) > 0;
    }, 15_000, 'the reading in InfluxDB');
  });
});

describe('webhook delivery to a target no longer allowed', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-ssrf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records a refused delivery and sends nothing when the allowlist no longer names the address', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const first = await startTestGateway({ GATEWAY_WEBHOOK_ALLOW: '127.0.0.1' }, testRegistry, dir);
      const hook = await first.post('/api/webhooks', { url: receiver.url, secret: SECRET });
      expect(hook.status).toBe(201);
      await first.stop();
      const second = await startTestGateway({ GATEWAY_WEBHOOK_MIN_RETRY: '200ms' }, testRegistry, dir);
      try {
        await raise(second, 'gas-01', { gas_lel: 55 });
        const d = await eventually(async () => {
          const res = await second.api(`/api/webhooks/${hook.body.id}/deliveries`);
          const first = res.body.deliveries?.[0];
          return first?.attempts > 0 ? first : undefined;
        }, 10_000, 'a delivery attempt');
        expect(d.lastError).toMatch(/^target refused: 127\.0\.0\.1 is a loopback/);
        expect(receiver.requests).toHaveLength(0);
      } finally {
        await second.stop();
      }
    } finally {
      await receiver.close();
    }
  });
});

describe('errors about the upstream InfluxDB', () => {
  it('answers GW_UPSTREAM without the upstream address or port', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const deadPort = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const gw = await startTestGateway({ INFLUX_URL: `http://127.0.0.1:${deadPort}`, INFLUX_TIMEOUT: '1s' });
    try {
      const res = await gw.api('/api/readings?site=mine-007&metric=ch4');
      expect([res.status, res.body.error.code]).toEqual([502, 'GW_UPSTREAM']);
      expect(JSON.stringify(res.body)).not.toContain(String(deadPort));
      expect(JSON.stringify(res.body)).not.toContain('127.0.0.1');
    } finally {
      await gw.stop();
    }
  });
});
