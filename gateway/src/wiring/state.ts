import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GatewayConfig } from '../config.js';
import { createEventStore, createMaintenance, type Maintenance } from '../events/index.js';
import { createSseHub, createWebhooks, parseAllowList } from '../fanout/index.js';
import { createHistory } from '../history.js';
import { createLiveness } from '../liveness/index.js';
import { createMetrics, type Logger } from '../observability/index.js';
import { createRegistryHost } from '../registry/index.js';
import { createRuleHost } from '../rule-host.js';
import { kvGet, kvSetUtf8, openStateDb } from '../storage/index.js';
import { createUserStore, loadApiToken, makeAllSitesExplicit } from '../users/index.js';
import { COMPLAINT_DEVICE } from '../scancode/index.js';

/** A child logger named after the module it is given to. */
export type ModuleLog = (module: string) => Logger;

const ENGINE_STATE_KEY = 'engine-state';

/** The gateway's memory: registry, rules and engine state, people, events, history and the live views. */
export async function buildState(config: GatewayConfig, opts: { clock: () => number; log: ModuleLog; registryRequired: boolean }) {
  const { clock, log } = opts;
  const dataDir = resolve(config.GATEWAY_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const registry = createRegistryHost(resolve(config.GATEWAY_REGISTRY), opts.registryRequired, log('registry'));
  const db = openStateDb(dataDir);
  const rulesDir = resolve(config.GATEWAY_RULES_DIR);
  const rulesLog = log('rules');
  const rules = createRuleHost(rulesDir, rulesLog, kvGet(db, ENGINE_STATE_KEY));
  rulesLog.info({ rules: rules.rules().rules.length, dir: rulesDir }, 'rules loaded');
  const apiToken = loadApiToken(config.GATEWAY_API_TOKEN, dataDir, log('users'));
  const users = createUserStore(db, apiToken);
  makeAllSitesExplicit(users, log('users'));
  const history = await createHistory(config, dataDir, log('history'));
  const webhooks = createWebhooks(db, { logger: log('webhooks'), clock, egress: parseAllowList(config.GATEWAY_WEBHOOK_ALLOW), retry: { minDelayMs: config.GATEWAY_WEBHOOK_MIN_RETRY, maxDelayMs: config.GATEWAY_WEBHOOK_MAX_RETRY } });
  let maintenance: Maintenance | undefined;
  const events = createEventStore(db, {
    clock,
    maxClockSkewMs: config.GATEWAY_MAX_CLOCK_SKEW,
    // A maintenance window silences the site's devices, never a complaint from the public.
    inMaintenance: (site, device, at) => device !== COMPLAINT_DEVICE && (maintenance?.covers(site, device, at) ?? false),
    // Deliveries are queued in the same SQLite transaction as the transition: none is lost in a crash.
    afterRecord: (a) => webhooks.enqueue(a),
  });
  maintenance = createMaintenance(db, events.audit);
  const metrics = createMetrics();
  const sse = createSseHub({
    limits: { maxBufferBytes: config.GATEWAY_SSE_MAX_BUFFER_BYTES, stallMs: config.GATEWAY_SSE_STALL_TIMEOUT, maxStreamsPerUser: config.GATEWAY_SSE_MAX_STREAMS_PER_USER },
    dropped: metrics.counter('gateway_sse_dropped_total', 'Event streams ended by the gateway, by reason'),
  });
  const liveness = createLiveness(history, log('liveness'));
  // Engine state is saved on a graceful stop and every 30 s (components in app.ts), when it
  // changed since the last save: what the database holds is then still the state.
  // The saved row (1.4 MB at 10,000 registered devices) would then sit in SQLite's page cache:
  // shrink_memory hands the cache's unused pages back (~1.2 MB of malloc heap at idle).
  const saveEngineState = () =>
    void rules.saveIfChanged((utf8) => {
      kvSetUtf8(db, ENGINE_STATE_KEY, utf8);
      db.pragma('shrink_memory');
    });
  return { dataDir, registry, db, rulesDir, rules, apiToken, users, history, webhooks, events, maintenance, metrics, sse, liveness, saveEngineState };
}

export type GatewayState = Awaited<ReturnType<typeof buildState>>;
