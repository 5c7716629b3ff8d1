import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApi, type Api, type DeviceLiveState, type HealthReport, type ReadingsSource } from './api/index.js';
import { createBroker, type Broker } from './broker/index.js';
import type { GatewayConfig } from './config.js';
import type { DeviceRef } from './domain/index.js';
import { createEventStore, type AppliedTransition, type EventStore } from './events/index.js';
import { decodeMessage, defaultIngestLimits, type IngestLimits } from './ingest/index.js';
import { createMetrics, createRateLimitedLog, type Logger } from './observability/index.js';
import { loadRegistry, parseRegistry, type RegisteredDevice, type Registry } from './registry/index.js';
import {
  compileRuleSet,
  createEngineState,
  inputsFor,
  loadRuleSet,
  restoreState,
  serializeState,
  step,
  type CompiledRules,
  type EngineInput,
  type EngineState,
} from './rules/index.js';
import { createHistory, type History } from './history.js';
import { kvGet, kvSet, openStateDb, type StateDb } from './storage/index.js';

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /** The gateway clock; tests inject their own. */
  clock?: () => number;
  /** Set when GATEWAY_REGISTRY was given explicitly: a missing file is then an error. */
  registryRequired?: boolean;
}

export interface Gateway {
  start(): Promise<{ mqttPort: number; httpPort: number; httpUrl: string }>;
  stop(): Promise<void>;
  readonly api: Api;
  readonly apiToken: string;
  readonly events: EventStore;
  readonly history: History;
  /** Applied transitions, in order, for fan-out and tests. */
  onTransition(listener: (a: AppliedTransition) => void): () => void;
}

const ENGINE_STATE_KEY = 'engine-state';

function loadApiToken(config: GatewayConfig, dataDir: string, logger: Logger): string {
  if (config.GATEWAY_API_TOKEN) return config.GATEWAY_API_TOKEN;
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) {
    logger.info({ file }, 'API token read from the data dir');
    return readFileSync(file, 'utf8').trim();
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  // Printed once, on the console only (never through the logger), so it can be copied.
  process.stdout.write(`\nGenerated API token (stored in ${file}; shown only this once):\n  ${token}\n\n`);
  return token;
}

function openRegistry(config: GatewayConfig, required: boolean, logger: Logger): Registry {
  const path = resolve(config.GATEWAY_REGISTRY);
  if (!existsSync(path) && !required) {
    logger.warn({ path }, 'no registry file: no device can connect until one is created (see registry.example.yaml)');
    return parseRegistry({ sites: [] }, path);
  }
  const registry = loadRegistry(path);
  for (const w of registry.warnings) logger.warn(w);
  logger.info({ path, sites: registry.sites.length, devices: registry.devices().length }, 'registry loaded');
  return registry;
}

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const dataDir = resolve(config.GATEWAY_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  const registry = openRegistry(config, opts.registryRequired ?? false, logger);
  const rules: CompiledRules = compileRuleSet(loadRuleSet(resolve(config.GATEWAY_RULES_DIR)));
  logger.info({ rules: rules.rules.length, dir: config.GATEWAY_RULES_DIR }, 'rules loaded');

  const db: StateDb = openStateDb(dataDir);
  const events = createEventStore(db);
  const savedState = kvGet(db, ENGINE_STATE_KEY);
  let engineState: EngineState = savedState ? restoreState(savedState, rules) : createEngineState();
  const apiToken = loadApiToken(config, dataDir, logger);

  const history = await createHistory(config, dataDir, logger);

  const metrics = createMetrics();
  const accepted = metrics.counter('gateway_messages_accepted_total', 'Messages accepted, by channel');
  const rejected = metrics.counter('gateway_messages_rejected_total', 'Messages rejected, by reason');
  const readingsTotal = metrics.counter('gateway_readings_total', 'Telemetry values accepted');
  const transitionsTotal = metrics.counter('gateway_event_transitions_total', 'Event transitions, by type and severity');
  const authFailures = metrics.counter('gateway_mqtt_auth_failures_total', 'Refused MQTT connections, by reason');
  const aclDenied = metrics.counter('gateway_mqtt_acl_denied_total', 'Refused publishes and subscriptions outside a device\'s own topics');
  metrics.gauge('gateway_connected_clients', 'MQTT clients connected', () => broker.connectedDevices());
  metrics.gauge('gateway_influx_written_total', 'Points written to InfluxDB', () => history.stats().written);
  metrics.gauge('gateway_influx_failed_total', 'Points InfluxDB refused or that could not be sent', () => history.stats().failed);

  const rejectLog = createRateLimitedLog(60_000, clock);
  const limits: IngestLimits = { ...defaultIngestLimits, maxClockSkewMs: config.GATEWAY_MAX_CLOCK_SKEW, maxPayloadBytes: config.GATEWAY_MAX_PAYLOAD_BYTES };
  const live = new Map<string, DeviceLiveState>();
  const listeners = new Set<(a: AppliedTransition) => void>();

  function liveOf(device: string): DeviceLiveState {
    let s = live.get(device);
    if (!s) live.set(device, (s = { online: false, lastSeen: null, latest: {} }));
    return s;
  }

  function applyTransitions(input: EngineInput, now: number) {
    for (const t of step(rules, engineState, input, now)) {
      const applied = events.applyRuleTransition(t);
      if (!applied) continue;
      transitionsTotal.inc({ type: applied.transition.type, severity: applied.event.severity });
      history.writeTransition(applied);
      if (applied.transition.type === 'raised') {
        logger.info({ event: applied.event.id, rule: t.rule, site: t.site, device: t.device, severity: t.severity }, t.message);
      }
      for (const l of listeners) l(applied);
    }
  }

  function onPublish(device: RegisteredDevice, topic: string, payload: Buffer) {
    const now = clock();
    const decoded = decodeMessage(topic, payload, device, now, limits);
    if (!decoded.ok) {
      rejected.inc({ reason: decoded.reason });
      if (rejectLog.shouldLog(device.device)) {
        logger.warn({ site: device.site, device: device.device, reason: decoded.reason, detail: decoded.detail }, 'message rejected');
      }
      return;
    }
    accepted.inc({ channel: decoded.channel });
    const state = liveOf(device.device);
    state.lastSeen = now;
    state.online = decoded.channel === 'status' ? decoded.status.online : true;
    if (decoded.channel === 'telemetry') {
      readingsTotal.inc({}, decoded.readings.length);
      for (const r of decoded.readings) state.latest[r.metric] = { value: r.value, ts: r.ts };
      history.writeReadings(decoded.readings);
    } else if (decoded.channel === 'vision') {
      history.writeDetections(decoded.detections);
    }
    for (const input of inputsFor(decoded)) applyTransitions(input, now);
  }

  function onConnection(device: RegisteredDevice, online: boolean) {
    const state = liveOf(device.device);
    state.online = online;
    if (online) {
      state.lastSeen = clock();
      applyTransitions({ type: 'seen', ref: device }, clock());
    }
    logger.info({ site: device.site, device: device.device }, online ? 'device connected' : 'device disconnected');
  }

  const broker: Broker = createBroker({
    registry: () => registry,
    logger: logger.child({ module: 'broker' }),
    counters: { authFailures, aclDenied },
    onPublish,
    onConnection,
  });

  const readings: ReadingsSource | null = history.enabled ? history : null;
  const startedAt = clock();
  const api = await buildApi({
    token: apiToken,
    logger,
    metrics,
    registry: () => registry,
    events,
    devices: () => live,
    readings,
    health: async (): Promise<HealthReport> => {
      const influx = history.enabled ? ((await history.ping()) ? 'ok' : 'unreachable') : 'off';
      return {
        status: influx === 'unreachable' ? 'degraded' : 'ok',
        uptimeSeconds: Math.round((clock() - startedAt) / 1000),
        history: history.enabled ? 'on' : 'off',
        influx,
        connectedDevices: broker.connectedDevices(),
      };
    },
  });

  let ticker: NodeJS.Timeout | undefined;

  return {
    api,
    apiToken,
    events,
    history,
    onTransition(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      // Devices in the registry start their offline clock now, so one that never connects is noticed.
      const now = clock();
      for (const d of registry.devices()) {
        const ref: DeviceRef = { site: d.site, device: d.device, sector: d.sector, kind: d.kind };
        applyTransitions({ type: 'expect', ref }, now);
      }
      const mqtt = await broker.listen(config.GATEWAY_MQTT_PORT, config.GATEWAY_HOST);
      const httpUrl = await api.listen({ port: config.GATEWAY_HTTP_PORT, host: config.GATEWAY_HOST });
      const httpPort = api.server.address() && typeof api.server.address() === 'object' ? (api.server.address() as { port: number }).port : config.GATEWAY_HTTP_PORT;
      // RULES.md: offline and clearAfter are checked at least once a second on the gateway clock.
      ticker = setInterval(() => applyTransitions({ type: 'tick' }, clock()), 1000);
      ticker.unref();
      logger.info({ mqttPort: mqtt.port, httpPort, history: history.enabled ? 'on' : 'off' }, 'gateway started');
      return { mqttPort: mqtt.port, httpPort, httpUrl };
    },
    async stop() {
      if (ticker) clearInterval(ticker);
      await broker.close();
      await api.close();
      kvSet(db, ENGINE_STATE_KEY, serializeState(engineState));
      await history.close();
      db.close();
      logger.info('gateway stopped');
    },
  };
}
