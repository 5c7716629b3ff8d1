import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApi, createPositionCursors, type Api, type ApiDeps } from '../../gateway/src/api/index.js';
import { createEventStore, createMaintenance, type EventStore } from '../../gateway/src/events/index.js';
import { createSseHub, createWebhooks } from '../../gateway/src/fanout/index.js';
import { createMetrics, createLogger } from '../../gateway/src/observability/index.js';
import { createEventActions } from '../../gateway/src/pipeline/index.js';
import { parseRegistry, type RegistryFile } from '../../gateway/src/registry/index.js';
import { createRuleHost } from '../../gateway/src/rule-host.js';
import { openStateDb, type StateDb } from '../../gateway/src/storage/index.js';
import { createUserStore } from '../../gateway/src/users/index.js';

export interface TestApi {
  api: Api;
  token: string;
  events: EventStore;
  db: StateDb;
  /** A request with the admin token; returns status and parsed body. */
  request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * The HTTP API on real stores (a state database in a temp dir, the shipped rules) without
 * the broker, InfluxDB or listening sockets: route tests inject requests into it. `deps`
 * overrides any dependency (a readings source, a clock...).
 */
export async function buildTestApi(opts: { registry?: RegistryFile; clock?: () => number; deps?: Partial<ApiDeps> } = {}): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-api-'));
  const clock = opts.clock ?? Date.now;
  const logger = createLogger('silent');
  const token = 'test-api-token-0123456789abcdef';
  const db = openStateDb(dir);
  const webhooks = createWebhooks(db, { logger, clock });
  const events = createEventStore(db, { clock, afterRecord: (a) => webhooks.enqueue(a) });
  const maintenance = createMaintenance(db, events.audit);
  const rules = createRuleHost(resolve('rules'), logger);
  const registry = parseRegistry(opts.registry ?? { sites: [] }, join(dir, 'registry.yaml'));
  const api = await buildApi({
    users: createUserStore(db, token),
    actions: createEventActions(events, { dispatch: () => undefined, release: () => undefined }, clock),
    maintenance,
    webhooks,
    sse: createSseHub(),
    cursors: createPositionCursors(randomBytes(32)),
    rules: rules.view,
    reloadRegistry: () => ({ ok: false, problems: ['no registry file in the test API'] }),
    clock,
    logger,
    metrics: createMetrics(),
    registry: () => registry,
    events,
    devices: () => new Map(),
    readings: null,
    health: async () => ({ status: 'ok', uptimeSeconds: 0, history: 'off', influx: 'off', connectedDevices: 0 }),
    ready: () => ({ ready: true, outbox: { points: 0, bytes: 0, oldestAgeSeconds: null, capBytes: 1 }, influx: 'off' }),
    ...opts.deps,
  });
  return {
    api,
    token,
    events,
    db,
    async request(method, url, body) {
      const res = await api.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
    },
    async close() {
      await api.close();
      await webhooks.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
