// The private influxd runs with authentication (issue 20, finding 5): an admin user and a
// generated password are set up on first start, kept in the data folder with mode 0600, never
// logged; anything on loopback that does not present them (a webhook, a local process) is refused.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxQuery, startPrivateInfluxd, type InfluxLogger, type PrivateInfluxd } from '../../gateway/src/storage/influx/index.js';
import { raise } from '../helpers/events.js';
import { eventually, startTestGateway } from '../helpers/gateway.js';
import { startTestInfluxd } from '../helpers/influxd.js';

const lines: string[] = [];
const logger: InfluxLogger = {
  info: (obj, msg) => lines.push(JSON.stringify({ obj, msg })),
  warn: (obj, msg) => lines.push(JSON.stringify({ obj, msg })),
  error: (obj, msg) => lines.push(JSON.stringify({ obj, msg })),
};

describe('private influxd with authentication', () => {
  let dir: string;
  let server: PrivateInfluxd;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-influx-auth-'));
    server = await startPrivateInfluxd({ dataDir: dir, database: 'auth_test', logger });
    const q = createInfluxQuery({ url: server.url, api: 'v1', database: 'auth_test', ...server.credentials });
    await fetch(`${server.url}/write?db=auth_test`, { method: 'POST', headers: basic(server), body: 'telemetry,device=d1 ch4=1 1764000000000000000' });
    expect((await q.query('SELECT count(ch4) FROM telemetry'))[0]?.series[0]?.values[0]?.[1]).toBe(1);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const basic = (s: PrivateInfluxd) => ({ authorization: `Basic ${Buffer.from(`${s.credentials.username}:${s.credentials.password}`).toString('base64')}` });
  const count = async () => {
    const q = createInfluxQuery({ url: server.url, api: 'v1', database: 'auth_test', ...server.credentials });
    return (await q.query('SELECT count(ch4) FROM telemetry'))[0]?.series[0]?.values[0]?.[1];
  };

  it('refuses a write without credentials with 401 and stores nothing', async () => {
    const res = await fetch(`${server.url}/write?db=auth_test`, { method: 'POST', body: 'telemetry,device=d1 ch4=99 1764000001000000000' });
    expect(res.status).toBe(401);
    expect(await count()).toBe(1);
  });

  it('refuses the DROP SERIES query of the webhook attack without credentials and keeps the readings', async () => {
    const res = await fetch(`${server.url}/query?db=auth_test&q=${encodeURIComponent('DROP SERIES FROM telemetry')}`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await count()).toBe(1);
  });

  it('refuses a write with a wrong password', async () => {
    const auth = `Basic ${Buffer.from(`${server.credentials.username}:wrong`).toString('base64')}`;
    const res = await fetch(`${server.url}/write?db=auth_test`, { method: 'POST', headers: { authorization: auth }, body: 'telemetry,device=d1 ch4=99 1764000002000000000' });
    expect(res.status).toBe(401);
  });

  it('refuses to create a user without credentials (the admin exists from the first start)', async () => {
    const res = await fetch(`${server.url}/query?q=${encodeURIComponent("CREATE USER evil WITH PASSWORD 'x' WITH ALL PRIVILEGES")}`, { method: 'POST' });
    expect(res.status).toBe(401);
  });

  it('keeps the generated credentials in the data folder readable by its owner only', () => {
    const file = join(dir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(server.credentials);
    expect(server.credentials.password.length).toBeGreaterThanOrEqual(32);
  });

  it('never writes the password into its log', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(server.credentials.password);
  });

  it('starts again on the same folder with the same credentials and its data', async () => {
    const before = server.credentials;
    await server.stop();
    server = await startPrivateInfluxd({ dataDir: dir, database: 'auth_test', logger });
    expect(server.credentials).toEqual(before);
    expect(await count()).toBe(1);
  });

  it('refuses to start with a clear error when the folder has an admin but the credentials file is gone', async () => {
    await server.stop();
    rmSync(join(dir, 'credentials.json'));
    await expect(startPrivateInfluxd({ dataDir: dir, database: 'auth_test', logger, startTimeoutMs: 30_000 })).rejects.toThrow(/credentials\.json/);
  });
});

describe('private influxd on a port taken meanwhile', () => {
  it('starts on other ports when a port found free was taken before influxd bound it', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const takenPort = (taken.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'gw-influx-port-'));
    let calls = 0;
    // The first port handed out is already listened on by someone else, as in a race.
    const freePort = async () => (calls++ === 0 ? takenPort : freeLoopbackPort());
    const warnings: string[] = [];
    const watch: InfluxLogger = { ...logger, warn: (_obj, msg) => warnings.push(msg ?? '') };
    try {
      const s = await startPrivateInfluxd({ dataDir: dir, database: 'port_test', logger: watch, freePort });
      try {
        expect(s.url).not.toContain(`:${takenPort}`);
        expect((await fetch(`${s.url}/ping`)).status).toBe(204);
        expect(warnings.some((w) => /taken meanwhile/.test(w))).toBe(true);
      } finally {
        await s.stop();
      }
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('test influxd', () => {
  it('refuses a write without credentials, so every integration test runs against an authenticated server', async () => {
    const influx = await startTestInfluxd('auth_helper');
    try {
      const res = await fetch(`${influx.server.url}/write?db=auth_helper`, { method: 'POST', body: 'telemetry,device=d1 ch4=1' });
      expect(res.status).toBe(401);
    } finally {
      await influx.stop();
    }
  });
});

describe('gateway with its own private influxd', () => {
  it('writes readings to the authenticated private influxd and logs no password', async () => {
    const gw = await startTestGateway({ INFLUX_URL: '' });
    try {
      await raise(gw, 'ch4-01', { ch4: 2 });
      const creds = JSON.parse(readFileSync(join(gw.dataDir, 'influxdb', 'credentials.json'), 'utf8')) as { username: string; password: string };
      const url = gw.gateway.history.url as string;
      const q = createInfluxQuery({ url, api: 'v1', database: 'supervision', ...creds });
      await eventually(async () => {
        const [r] = await q.query(`SELECT COUNT("ch4") FROM "telemetry" WHERE "device" = 'ch4-01'`);
        return (r?.series?.length ?? 0) > 0;
      }, 20_000, 'the reading in the private influxd');
      const unauth = await fetch(`${url}/query?db=supervision&q=${encodeURIComponent('SELECT * FROM telemetry')}`);
      expect(unauth.status).toBe(401);
      expect(gw.logs.join('')).not.toContain(creds.password);
    } finally {
      await gw.stop();
    }
  });
});

describe('gateway with credentials in INFLUX_URL', () => {
  it('writes through the authenticated server and logs the URL without its password', async () => {
    const influx = await startTestInfluxd('auth_url');
    const gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database });
    try {
      await raise(gw, 'ch4-01', { ch4: 2 });
      await eventually(async () => {
        const [r] = await influx.query(`SELECT COUNT("ch4") FROM "telemetry" WHERE "device" = 'ch4-01'`);
        return (r?.series?.length ?? 0) > 0;
      }, 20_000, 'the reading in InfluxDB');
      expect((await gw.api('/readyz', { token: null })).status).toBe(200);
      expect(gw.logs.join('')).toContain('writing history to InfluxDB');
      expect(gw.logs.join('')).not.toContain(influx.server.credentials.password);
    } finally {
      await gw.stop();
      await influx.stop();
    }
  });
});
