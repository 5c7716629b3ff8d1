import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { createGateway, type Gateway } from '../../gateway/src/app.js';
import { loadConfig } from '../../gateway/src/config.js';
import { createLogger } from '../../gateway/src/observability/index.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export const testRegistry = {
  sites: [
    {
      id: 'hb-chem-001',
      name: 'Example Chemical Co. tank farm',
      sector: 'hazardous_chemicals',
      creditCode: '91310110666007217T',
      devices: [
        { id: 'gas-01', kind: 'sensor', secret: 'gas-01-secret' },
        { id: 'gas-02', kind: 'sensor', secret: 'gas-02-secret' },
        { id: 'cam-01', kind: 'camera', secret: 'cam-01-secret' },
      ],
    },
    {
      id: 'mine-007',
      name: 'Example coal mine',
      sector: 'mining',
      devices: [{ id: 'ch4-01', kind: 'sensor', secret: 'ch4-01-secret' }],
    },
  ],
};

export interface TestGateway {
  gateway: Gateway;
  mqttUrl: string;
  /** The MQTT over TLS port, when GATEWAY_MQTTS_PORT is set. */
  mqttsPort: number | null;
  /** The HJ 212 TCP port, when GATEWAY_HJ212_PORT is set. */
  hj212Port: number | null;
  /** HJ 212 over TLS, when GATEWAY_HJ212_TLS_PORT is set. */
  hj212TlsPort: number | null;
  httpUrl: string;
  dataDir: string;
  logs: string[];
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<{ status: number; body: any }>;
  /** POSTs `body` as JSON (method and content type set); `token` as in api(). */
  post(path: string, body: unknown, token?: string | null, method?: string): Promise<{ status: number; body: any }>;
  connect(device: string, secret?: string, extra?: IClientOptions): Promise<MqttClient>;
  stop(): Promise<void>;
}

/** Starts a real gateway on ports 0 with a temp data dir and the shipped rules. */
export async function startTestGateway(env: Record<string, string> = {}, registry: unknown = testRegistry, dataDir?: string, options: { clock?: () => number } = {}): Promise<TestGateway> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'gw-test-'));
  const registryPath = join(dir, 'registry.yaml');
  writeFileSync(registryPath, stringify(registry));
  const config = loadConfig({
    GATEWAY_MQTT_PORT: '0',
    GATEWAY_HTTP_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_DATA_DIR: dir,
    GATEWAY_RULES_DIR: resolve('rules'),
    GATEWAY_REGISTRY: registryPath,
    GATEWAY_API_TOKEN: TEST_TOKEN,
    GATEWAY_LOG_LEVEL: 'info',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const gateway = await createGateway({ config, logger: createLogger('debug', sink), registryRequired: true, ...(options.clock ? { clock: options.clock } : {}) });
  const where = await gateway.start();
  const mqttUrl = `mqtt://127.0.0.1:${where.mqttPort}`;
  const httpUrl = `http://127.0.0.1:${where.httpPort}`;
  const clients: MqttClient[] = [];
  const tg: TestGateway = {
    gateway,
    mqttUrl,
    mqttsPort: where.mqttsPort,
    hj212Port: where.hj212Port,
    hj212TlsPort: where.hj212TlsPort,
    httpUrl,
    dataDir: dir,
    logs,
    async api(path, init = {}) {
      const token = init.token === undefined ? TEST_TOKEN : init.token;
      const headers = new Headers(init.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      const res = await fetch(httpUrl + path, { ...init, headers });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body };
    },
    post(path, body, token, method = 'POST') {
      return tg.api(path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(token !== undefined ? { token } : {}),
      });
    },
    async connect(device, secret = `${device}-secret`, extra = {}) {
      const client = mqtt.connect(mqttUrl, { clientId: device, username: device, password: secret, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
      clients.push(client);
      await new Promise<void>((res, rej) => {
        client.once('connect', () => res());
        client.once('error', rej);
      });
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await gateway.stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return tg;
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
