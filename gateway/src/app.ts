import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildApi, ruleFacts, type Api, type DeviceLiveState, type EventActions, type HealthReport, type RegistryReload, type RulesView } from './api/index.js';
import { createBroker, createLoginBackoff, type Broker } from './broker/index.js';
import type { GatewayConfig } from './config.js';
import type { DeviceRef, Severity } from './domain/index.js';
import { createEventStore, createMaintenance, type AppliedTransition, type EventStore, type Maintenance } from './events/index.js';
import { createSseHub, createWebhooks, parseAllowList, transitionMessage } from './fanout/index.js';
import { createEvidenceStore, evidenceCapWatcher, keepPicture } from './evidence/index.js';
import { createHistory, type History } from './history.js';
import { decodeMessage, defaultIngestLimits, type Decoded, type IngestLimits, type Rejection } from './ingest/index.js';
import { createMetrics, createRateLimitedLog, type Logger } from './observability/index.js';
import { loadRegistry, parseRegistry, RegistryError, type RegisteredDevice, type Registry } from './registry/index.js';
import { readQualityEvents } from './quality/index.js';
import { createBacktestService } from './rules/backtest-service.js';
import { runBacktestInWorker } from './rules/backtest-thread.js';
import { createProfiles } from './profiles/index.js';
import { createRuleHost } from './rule-host.js';
import { createSupervisionHost, type SupervisionHost } from './supervision-host.js';
import { createDeviceAuth, httpIngestRoutes, type Outcome } from './sources/index.js';
import { inputsFor, type EngineInput } from './rules/index.js';
import { kvGet, kvSet, openStateDb, type Backlog, type StateDb } from './storage/index.js';
import { createUserStore, type Principal } from './users/index.js';

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /** The gateway clock; tests inject their own. */
  clock?: () => number;
  /** Set when GATEWAY_REGISTRY was given explicitly: a missing file is then an error. */
  registryRequired?: boolean;
}

export interface Gateway {
  start(): Promise<{ mqttPort: number | null; mqttsPort: number | null; httpPort: number; httpUrl: string }>;
  /** Graceful stop; reports what, if anything, had to stay in the outbox for the next start. */
  stop(): Promise<{ outbox: Backlog }>;
  readonly api: Api;
  readonly apiToken: string;
  readonly events: EventStore;
  readonly maintenance: Maintenance;
  readonly history: History;
  /** Profiles, inspections and risk (issue 16). */
  readonly supervision: SupervisionHost;
  /** Applied transitions, in order, for tests and embedding. */
  onTransition(listener: (a: AppliedTransition) => void): () => void;
}

const ENGINE_STATE_KEY = 'engine-state';
const EVENT_TOPIC = (site: string) => `supervision/events/${site}`;

function loadApiToken(config: GatewayConfig, dataDir: string, logger: Logger): string {
  if (config.GATEWAY_API_TOKEN) return config.GATEWAY_API_TOKEN;
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) {
    logger.info({ file }, 'admin API token read from the data dir');
    return readFileSync(file, 'utf8').trim();
  }
  const token = `gw_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, token + '\n', { mode: 0o600 });
  // Printed once, on the console only (never through the logger), so it can be copied.
  process.stdout.write(`\nGenerated admin API token (stored in ${file}; shown only this once):\n  ${token}\n\n`);
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
  const plain = registry.devices().filter((d) => d.entry.secret !== undefined).length;
  if (plain > 0) {
    logger.warn({ devices: plain }, 'devices with a plain secret in the registry: fine for development; for production store hashes (npm run registry -- rotate-secret --id <device>)');
  }
  logger.info({ path, sites: registry.sites.length, devices: registry.devices().length }, 'registry loaded');
  return registry;
}

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const dataDir = resolve(config.GATEWAY_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  let registry = openRegistry(config, opts.registryRequired ?? false, logger);
  const registryPath = resolve(config.GATEWAY_REGISTRY);
  const db: StateDb = openStateDb(dataDir);
  const rulesDir = resolve(config.GATEWAY_RULES_DIR);
  const host = createRuleHost(rulesDir, logger, kvGet(db, ENGINE_STATE_KEY));
  logger.info({ rules: host.rules().rules.length, dir: rulesDir }, 'rules loaded');
  const apiToken = loadApiToken(config, dataDir, logger);
  const users = createUserStore(db, apiToken);
  const history = await createHistory(config, dataDir, logger);

  const webhooks = createWebhooks(db, { logger, clock, egress: parseAllowList(config.GATEWAY_WEBHOOK_ALLOW), retry: { minDelayMs: config.GATEWAY_WEBHOOK_MIN_RETRY, maxDelayMs: config.GATEWAY_WEBHOOK_MAX_RETRY } });
  let maintenance: Maintenance | undefined;
  const events = createEventStore(db, {
    clock,
    maxClockSkewMs: config.GATEWAY_MAX_CLOCK_SKEW,
    inMaintenance: (site, device, at) => maintenance?.covers(site, device, at) ?? false,
    // Deliveries are queued in the same SQLite transaction as the transition: none is lost in a crash.
    afterRecord: (a) => webhooks.enqueue(a),
  });
  maintenance = createMaintenance(db, events.audit);
  const metrics = createMetrics();
  const sse = createSseHub({
    limits: { maxBufferBytes: config.GATEWAY_SSE_MAX_BUFFER_BYTES, stallMs: config.GATEWAY_SSE_STALL_TIMEOUT, maxStreamsPerUser: config.GATEWAY_SSE_MAX_STREAMS_PER_USER },
    dropped: metrics.counter('gateway_sse_dropped_total', 'Event streams ended by the gateway, by reason'),
  });
  const accepted = metrics.counter('gateway_messages_accepted_total', 'Messages accepted, by channel');
  const rejected = metrics.counter('gateway_messages_rejected_total', 'Messages rejected, by reason');
  const acceptedBy = { telemetry: accepted.bind({ channel: 'telemetry' }), vision: accepted.bind({ channel: 'vision' }), status: accepted.bind({ channel: 'status' }) };
  const readingsTotal = metrics.counter('gateway_readings_total', 'Telemetry values accepted').bind();
  const transitionsTotal = metrics.counter('gateway_event_transitions_total', 'Event transitions, by type and severity');
  const authFailures = metrics.counter('gateway_mqtt_auth_failures_total', 'Refused MQTT connections, by reason');
  const aclDenied = metrics.counter('gateway_mqtt_acl_denied_total', "Refused publishes and subscriptions outside a client's own topics");
  const protocolErrors = metrics.counter('gateway_mqtt_protocol_errors_total', 'Connections closed for breaking a limit or the protocol, by reason');
  const takeovers = metrics.counter('gateway_mqtt_session_takeovers_total', 'Connections that took over a session with the same client id');
  const retainIgnored = metrics.counter('gateway_mqtt_retain_ignored_total', 'Retain flags of device publishes and wills ignored, by source');
  metrics.gauge('gateway_connected_clients', 'MQTT clients connected', () => broker.connectedDevices());
  metrics.gauge('gateway_influx_written_total', 'Points written to InfluxDB', () => history.stats().written);
  metrics.gauge('gateway_influx_failed_total', 'Points InfluxDB refused or that could not be sent', () => history.stats().failed);
  metrics.gauge('gateway_outbox_points', 'Points in the outbox not yet in InfluxDB', () => history.backlog().points);
  metrics.gauge('gateway_outbox_bytes', 'Bytes in the outbox not yet in InfluxDB', () => history.backlog().bytes);
  metrics.gauge('gateway_outbox_oldest_age_seconds', 'Age of the oldest point in the outbox', () => {
    const at = history.backlog().oldestAt;
    return at === null ? 0 : Math.max(0, (clock() - at) / 1000);
  });
  metrics.gauge('process_resident_memory_bytes', 'Resident set size of the gateway process', () => process.memoryUsage.rss());
  metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed);
  metrics.gauge('gateway_webhook_deliveries_pending', 'Webhook deliveries waiting to be sent', () => webhooks.pending());
  metrics.gauge('gateway_sse_clients', 'Server-Sent Events subscribers', () => sse.size());

  const rejectLog = createRateLimitedLog(60_000, clock);
  const limits: IngestLimits = {
    ...defaultIngestLimits,
    maxClockSkewMs: config.GATEWAY_MAX_CLOCK_SKEW,
    maxBackfillMs: config.GATEWAY_MAX_BACKFILL,
    maxPayloadBytes: config.GATEWAY_MAX_PAYLOAD_BYTES,
    maxMetricsPerMessage: config.GATEWAY_MAX_METRICS,
    maxDetectionsPerMessage: config.GATEWAY_MAX_DETECTIONS,
    maxJsonDepth: config.GATEWAY_MAX_JSON_DEPTH,
    maxPictureBytes: config.GATEWAY_EVIDENCE_MAX_BYTES,
  };
  const evidence = createEvidenceStore({ dataDir, db, clock, maxPictureBytes: config.GATEWAY_EVIDENCE_MAX_BYTES, capBytes: config.GATEWAY_EVIDENCE_CAP_BYTES, retention: config.GATEWAY_EVIDENCE_RETENTION });
  const picturesDropped = metrics.counter('gateway_evidence_dropped_total', 'Pictures not kept although their detections were, by reason');
  const pictureLog = (reason: string, detail: string) => (picturesDropped.inc({ reason }), rejectLog.shouldLog(`evidence|${reason}`) && logger.error({ reason, detail }, 'picture not kept'));
  const overdueLimits: Partial<Record<Severity, number>> = {
    critical: config.GATEWAY_OVERDUE_CRITICAL,
    major: config.GATEWAY_OVERDUE_MAJOR,
    warning: config.GATEWAY_OVERDUE_WARNING,
    info: config.GATEWAY_OVERDUE_INFO,
  };
  const live = new Map<string, DeviceLiveState & { rejected: number }>();
  const listeners = new Set<(a: AppliedTransition) => void>();

  function liveOf(device: string) {
    let s = live.get(device);
    if (!s) live.set(device, (s = { online: false, lastSeen: null, latest: {}, rejected: 0 }));
    return s;
  }

  /** Storage and fan-out of one recorded transition; suppressed events are recorded, not sent. */
  function dispatch(a: AppliedTransition) {
    transitionsTotal.inc({ type: a.transition.type, severity: a.event.severity });
    history.writeTransition(a).catch((err) => logger.error({ err }, 'outbox write failed'));
    if (!a.event.suppressed) {
      sse.dispatch(a);
      broker.publish(EVENT_TOPIC(a.event.site), JSON.stringify(transitionMessage(a)), 1).catch((err) => logger.warn({ err: (err as Error).message }, 'event publish failed'));
      webhooks.kick();
    }
    for (const l of listeners) l(a);
  }

  function runEngine(input: EngineInput, now: number) {
    for (const t of host.step(input, now)) {
      const applied = events.applyRuleTransition(t);
      if (!applied) continue;
      if (applied.transition.type === 'raised') {
        logger.info({ event: applied.event.id, rule: t.rule, site: t.site, device: t.device, severity: t.severity, suppressed: applied.event.suppressed }, t.message);
      }
      dispatch(applied);
    }
  }

  const profilesDir = resolve(config.GATEWAY_PROFILES_DIR);
  const profiles = createProfiles({
    dir: profilesDir,
    logger,
    decode: (topic, payload, device, now) => decodeMessage(topic, payload, device, now, limits),
    maxJsonDepth: limits.maxJsonDepth,
    onIgnored: ((c) => (profile: string, why: string) => c.inc({ profile, why }))(metrics.counter('gateway_profile_ignored_total', 'Vendor messages accepted and deliberately not turned into data, by profile and why')),
  });
  logger.info({ dir: profilesDir, profiles: profiles.ids() }, 'payload profiles loaded');
  for (const d of registry.devices()) if (d.entry.profile && !profiles.has(d.entry.profile)) logger.warn({ device: d.device, profile: d.entry.profile }, 'device names a payload profile that is not loaded; its vendor messages are refused');
  const outboxFull = () => history.backlog().bytes >= config.GATEWAY_OUTBOX_MAX_BYTES;
  const droppedQos0 = metrics.counter('gateway_outbox_refused_total', 'Publishes refused while the outbox was at its cap, by qos');

  /**
   * One device message through ingest, rules and storage. Resolves when what it produced is
   * durable, so the broker acknowledges a QoS 1 publish only then.
   */
  function onPublish(device: RegisteredDevice, topic: string, payload: Buffer, qos: number): Promise<void> | void {
    if (outboxFull()) {
      // At the cap nothing is dropped silently: QoS 1 waits (PUBACK withheld), QoS 0 is refused and counted.
      droppedQos0.inc({ qos: String(qos) });
      if (qos === 0) return;
      return waitForRoom().then(() => onPublish(device, topic, payload, qos));
    }
    const now = clock();
    const decoded = profiles.fromMqtt(device, topic, payload, now) ?? decodeMessage(topic, payload, device, now, limits);
    if ('ignored' in decoded) return;
    const r = accept(device, decoded, qos);
    if (r instanceof Promise) return r.then(() => undefined);
  }

  /** A decoded message (or its rejection) from any source; resolves with its outcome once durable. */
  function accept(device: RegisteredDevice, decoded: Decoded | Rejection, qos: number): Outcome | Promise<Outcome> {
    if (decoded.ok && decoded.channel === 'vision' && decoded.picture) {
      return keepPicture(evidence, decoded, device, pictureLog).then((d) => accept(device, d, qos));
    }
    const now = clock();
    const state = liveOf(device.device);
    if (!decoded.ok) {
      rejected.inc({ reason: decoded.reason });
      state.rejected++;
      if (rejectLog.shouldLog(device.device)) {
        logger.warn({ site: device.site, device: device.device, reason: decoded.reason, detail: decoded.detail }, 'message rejected');
      }
      return decoded;
    }
    acceptedBy[decoded.channel].inc();
    state.lastSeen = now;
    let durable: Promise<void>;
    if (decoded.channel === 'status') {
      state.online = decoded.status.online;
      durable = history.writeStatus(device, decoded.status.online, state.rejected, now);
      state.rejected = 0;
    } else if (decoded.channel === 'telemetry') {
      state.online = true;
      readingsTotal.inc(decoded.readings.length);
      for (const r of decoded.readings) state.latest[r.metric] = { value: r.value, ts: r.ts };
      durable = history.writeReadings(decoded.readings, maintenance!.covers(device.site, device.device, decoded.readings[0]!.ts));
    } else {
      state.online = true;
      durable = history.writeDetections(decoded.detections);
    }
    for (const input of inputsFor(decoded, device)) runEngine(input, now);
    const outcome: Outcome = { ok: true, channel: decoded.channel };
    if (qos === 0) {
      durable.catch((err) => logger.error({ err }, 'outbox write failed'));
      return outcome;
    }
    return durable.then(() => outcome);
  }

  async function waitForRoom(): Promise<void> {
    while (outboxFull() && !stopping) await new Promise((r) => setTimeout(r, 250));
  }

  const BACKLOG_KEY = 'system|gateway|outbox';
  /** Raises (and later resolves) the storage_backlog system event when the outbox reaches its cap. */
  function watchBacklog(now: number) {
    const full = outboxFull();
    const open = events.unresolvedKeys().includes(BACKLOG_KEY);
    if (full === open) return;
    const b = history.backlog();
    const t = {
      type: full ? ('raised' as const) : ('resolved' as const),
      key: BACKLOG_KEY,
      rule: 'system.storage_backlog',
      ruleVersion: 'builtin',
      item: 'SYSTEM',
      title: 'storage_backlog: the outbox reached its cap',
      site: 'gateway',
      device: 'outbox',
      sector: 'other' as const,
      severity: 'critical' as const,
      value: b.bytes,
      threshold: config.GATEWAY_OUTBOX_MAX_BYTES,
      at: now,
      message: full
        ? `storage_backlog: ${b.points} points (${b.bytes} bytes) wait for InfluxDB; new QoS 1 publishes are held until it answers`
        : `storage_backlog cleared: ${b.points} points wait`,
    };
    const applied = events.applyRuleTransition(t);
    if (applied) {
      logger[full ? 'error' : 'info']({ backlog: b }, t.message);
      dispatch(applied);
    }
  }

  const watchEvidence = evidenceCapWatcher(evidence, {
    isOpen: (key) => events.unresolvedKeys().includes(key),
    apply: (t) => {
      const a = events.applyRuleTransition(t);
      if (a) (logger.warn({ usage: evidence.usage() }, t.message), dispatch(a));
    },
  });

  function onConnection(device: RegisteredDevice, online: boolean) {
    const state = liveOf(device.device);
    state.online = online;
    const now = clock();
    if (online) {
      state.lastSeen = now;
      runEngine({ type: 'seen', ref: device }, now);
    }
    history.writeStatus(device, online, state.rejected, now).catch((err) => logger.error({ err }, 'outbox write failed'));
    state.rejected = 0;
    logger.info({ site: device.site, device: device.device }, online ? 'device connected' : 'device disconnected');
  }

  const broker: Broker = createBroker({
    registry: () => registry,
    authenticateAccount: (username, password) => {
      const p = users.authenticate(password);
      return p && p.user === username ? p : undefined;
    },
    accountExists: (name) => users.exists(name),
    logger: logger.child({ module: 'broker' }),
    counters: { authFailures, aclDenied, protocolErrors, takeovers, retainIgnored },
    requireClientCert: config.GATEWAY_TLS_CA !== undefined,
    limits: {
      maxPacketBytes: config.GATEWAY_MQTT_MAX_PACKET_BYTES,
      maxTopicLength: config.GATEWAY_MAX_TOPIC_LENGTH,
      maxPayloadBytes: config.GATEWAY_MAX_PAYLOAD_BYTES,
      connectionsPerSecond: config.GATEWAY_MQTT_CONN_PER_SECOND,
      freeLoginFailures: config.GATEWAY_LOGIN_FREE_FAILURES,
    },
    onPublish,
    onConnection,
  });

  // A disabled user's live feeds end at once, not when they next reconnect.
  users.onDisabled((name) => {
    sse.closeUser(name);
    broker.kickAccount(name);
  });

  const fanOutAction = (a: AppliedTransition | null) => (a && dispatch(a), a);
  const actions: EventActions = {
    acknowledge: (id, by: Principal, note) => fanOutAction(events.acknowledge(id, by.user, note, clock())),
    comment: (id, by, note) => fanOutAction(events.comment(id, by.user, note, clock()))!,
    resolve: (id, by, note) => {
      const a = fanOutAction(events.resolve(id, by.user, note, clock()))!;
      // A person resolved it: the engine forgets it as open, so a new violation raises anew.
      runEngine({ type: 'release', key: a.event.key }, clock());
      return a;
    },
    close: (id, by, disposition, note) => fanOutAction(events.close(id, by.user, disposition, note, clock()))!,
    refer: (id, by, department, note) => fanOutAction(events.refer(id, by.user, department, note, clock()))!,
  };

  /**
   * Re-reads the registry file (after `npm run registry -- add-device`, say). A valid file
   * replaces the registry at once; devices that left it are disconnected; an invalid file is
   * refused with its problems and the registry in force stays.
   */
  function reloadRegistry(): RegistryReload {
    let next: Registry;
    try {
      next = loadRegistry(registryPath);
    } catch (err) {
      const problems = err instanceof RegistryError ? err.problems : [(err as Error).message];
      logger.warn({ problems }, 'registry reload refused; the registry in force is unchanged');
      return { ok: false, problems };
    }
    const before = new Set(registry.devices().map((d) => d.device));
    const after = new Set(next.devices().map((d) => d.device));
    registry = next;
    const added = [...after].filter((d) => !before.has(d));
    const removed = [...before].filter((d) => !after.has(d));
    const now = clock();
    for (const id of added) {
      const d = next.device(id)!;
      runEngine({ type: 'expect', ref: { site: d.site, device: d.device, sector: d.sector, kind: d.kind } }, now);
    }
    for (const id of removed) broker.kick(id);
    for (const w of next.warnings) logger.warn(w);
    logger.info({ sites: next.sites.length, devices: after.size, added: added.length, removed: removed.length }, 'registry reloaded');
    return { ok: true, sites: next.sites.length, devices: after.size, added, removed };
  }

  const rulesView: RulesView = {
    list: () => host.rules().rules.map((r) => ({ id: r.id, version: r.version, item: r.item, kind: r.def.kind, title: r.title, file: r.def.file, ...ruleFacts(r.def) })),
    reload: () => {
      const r = host.reload();
      if (r.ok) logger.info(r, 'rules reloaded');
      else logger.warn({ problems: r.problems }, 'rule reload refused; the rules in force are unchanged');
      return r;
    },
    item: (code) => host.rules().items.get(code),
    levels: (ruleId, site, device) => {
      const rule = host.rules().rules.find((r) => r.id === ruleId);
      if (!rule || !('levels' in rule.base)) return undefined;
      // The most specific override that names this device wins, as the engine picks it.
      let params = rule.base;
      let best = -1;
      for (const v of rule.variants) {
        if ((v.sites && !v.sites.has(site)) || (v.devices && !v.devices.has(device)) || v.specificity <= best) continue;
        best = v.specificity;
        params = v.params as typeof params;
      }
      if (!('levels' in params)) return undefined;
      const finite = (n: number) => (Number.isFinite(n) ? n : undefined);
      return params.levels.map((l) => ({
        severity: l.severity,
        gt: finite(l.gt),
        gte: finite(l.gte),
        lt: finite(l.lt),
        lte: finite(l.lte),
        outside: l.hasOutside ? ([l.outsideLow, l.outsideHigh] as [number, number]) : undefined,
      }));
    },
  };

  const supervision = createSupervisionHost({
    ...{ db, audit: events.audit, events, users, history, clock, logger, rulesDir, overdueLimits },
    registry: () => registry,
    rules: () => host.rules(),
    riskIntervalMs: config.GATEWAY_RISK_INTERVAL,
    publicPerMinute: config.GATEWAY_PUBLIC_PER_MINUTE,
    raise: (t) => fanOutAction(events.applyRuleTransition(t)),
  });

  const tls = config.GATEWAY_TLS_CERT && config.GATEWAY_TLS_KEY ? { cert: readFileSync(config.GATEWAY_TLS_CERT), key: readFileSync(config.GATEWAY_TLS_KEY) } : undefined;
  const https = config.GATEWAY_HTTPS === 'on' || (config.GATEWAY_HTTPS === 'auto' && tls !== undefined) ? tls : undefined;
  // With a client CA, devices may push over HTTPS with a certificate; people need none.
  const httpsDevices = https && config.GATEWAY_TLS_CA ? { ...https, ca: readFileSync(config.GATEWAY_TLS_CA), requestCert: true, rejectUnauthorized: false } : https;
  // Backtests read history from InfluxDB in a worker thread; their approvals go into the audit trail.
  const backtests = history.url === null ? undefined : createBacktestService({
    rulesDir,
    workDir: join(dataDir, 'backtests'),
    baseJob: () => ({ registryPath, stateDbPath: join(dataDir, 'state.db'), influx: { url: history.url!, api: config.INFLUX_API, token: config.INFLUX_TOKEN, org: config.INFLUX_ORG, bucket: config.INFLUX_BUCKET, database: config.INFLUX_DATABASE, retentionPolicy: config.INFLUX_RETENTION_POLICY, username: config.INFLUX_USERNAME, password: config.INFLUX_PASSWORD } }),
    current: () => host.rules().set,
    run: (job, onProgress) => runBacktestInWorker(job, onProgress),
    reload: () => rulesView.reload(),
    audit: (r) => void events.audit.append({ kind: 'rules', eventId: null, windowId: null, site: 'gateway', device: null, type: r.type, at: r.at, actor: r.actor, note: r.note, severity: null, value: null, detail: r.detail }),
    kv: { get: (k) => kvGet(db, k), set: (k, v) => kvSet(db, k, v) },
    clock,
  });
  const startedAt = clock();
  const api = await buildApi({
    https: httpsDevices,
    bodyLimit: config.GATEWAY_API_BODY_LIMIT,
    maxPage: config.GATEWAY_API_MAX_PAGE,
    users,
    actions,
    maintenance,
    webhooks,
    sse,
    rules: rulesView,
    reloadRegistry,
    clock,
    logger,
    metrics,
    registry: () => registry,
    events,
    devices: () => live,
    evidence,
    payloadProfiles: profiles,
    readings: history.enabled ? history : null,
    supervision: supervision.api,
    qualityEvents: (f) => readQualityEvents(db, f),
    backtests,
    rulesApprovalRequired: config.GATEWAY_RULES_APPROVAL === 'required',
    ready: () => {
      const b = history.backlog();
      return {
        ready: !stopping && !outboxFull(),
        outbox: { points: b.points, bytes: b.bytes, oldestAgeSeconds: b.oldestAt === null ? null : Math.max(0, (clock() - b.oldestAt) / 1000), capBytes: config.GATEWAY_OUTBOX_MAX_BYTES },
        influx: history.enabled ? (history.forwarding().healthy ? 'ok' : 'failing') : 'off',
      };
    },
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

  await api.register(httpIngestRoutes({
    authenticate: createDeviceAuth({ registry: () => registry, backoff: createLoginBackoff(config.GATEWAY_LOGIN_FREE_FAILURES, 5 * 60_000), requireClientCert: config.GATEWAY_TLS_CA !== undefined }),
    decode: (topic, payload, device, now) => decodeMessage(topic, payload, device, now, limits),
    accept,
    translate: profiles.fromHttp,
    busy: outboxFull,
    clock,
    limits: { ...limits, maxItems: config.GATEWAY_INGEST_MAX_ITEMS, maxBodyBytes: config.GATEWAY_INGEST_MAX_BODY_BYTES },
    authFailures: metrics.counter('gateway_http_ingest_auth_failures_total', 'Refused device pushes over HTTP, by reason'),
    logger: logger.child({ module: 'http-ingest' }),
  }));

  const timers: NodeJS.Timeout[] = [];
  const watchers: FSWatcher[] = [];
  /** Watches one file through its folder (editors and the registry CLI replace files by rename). */
  function watchFile(path: string, onChange: () => void) {
    if (!existsSync(dirname(path))) return;
    let debounce: NodeJS.Timeout | undefined;
    try {
      const w = watch(dirname(path), (_event, name) => {
        if (name !== basename(path)) return;
        clearTimeout(debounce);
        debounce = setTimeout(onChange, 300);
        debounce.unref();
      });
      w.on('error', (err) => logger.warn({ err: err.message, path }, 'file watcher failed'));
      watchers.push(w);
    } catch (err) {
      logger.warn({ err: (err as Error).message, path }, 'cannot watch the file; use the reload API');
    }
  }
  let stopping = false;
  function every(ms: number, fn: () => void) {
    const t = setInterval(() => {
      try {
        fn();
      } catch (err) {
        logger.error({ err }, 'periodic task failed');
      }
    }, ms);
    t.unref();
    timers.push(t);
  }

  return {
    api,
    apiToken,
    events,
    maintenance,
    history,
    supervision,
    onTransition(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      // Devices in the registry start their offline clock now, so one that never connects is noticed.
      const now = clock();
      for (const d of registry.devices()) {
        const ref: DeviceRef = { site: d.site, device: d.device, sector: d.sector, kind: d.kind };
        runEngine({ type: 'expect', ref }, now);
      }
      const mqtt = config.GATEWAY_MQTT_PORT === null ? null : await broker.listen(config.GATEWAY_MQTT_PORT, config.GATEWAY_HOST);
      const mqtts =
        config.GATEWAY_MQTTS_PORT === null || !tls
          ? null
          : await broker.listenTls(config.GATEWAY_MQTTS_PORT, config.GATEWAY_HOST, { ...tls, ...(config.GATEWAY_TLS_CA ? { ca: readFileSync(config.GATEWAY_TLS_CA) } : {}) });
      if (config.GATEWAY_MQTT_WS === 'on') broker.attachWebSocket(api.server);
      const httpUrl = await api.listen({ port: config.GATEWAY_HTTP_PORT, host: config.GATEWAY_HOST });
      const address = api.server.address();
      const httpPort = address && typeof address === 'object' ? address.port : config.GATEWAY_HTTP_PORT;
      // RULES.md: offline and clearAfter are checked at least once a second on the gateway clock.
      every(1000, () => {
        const t = clock();
        runEngine({ type: 'tick' }, t);
        for (const a of events.markOverdue(overdueLimits, t)) dispatch(a);
        watchBacklog(t);
        watchEvidence(t);
      });
      // Retention: pictures past their sector's retention and held by no open event are removed.
      every(3_600_000, () => void evidence.sweep().catch((err) => logger.error({ err }, 'evidence sweep failed')));
      // Engine state is saved on a graceful stop; saving it every 30 s too bounds what a crash
      // loses (open events themselves are in the database at once).
      every(30_000, () => kvSet(db, ENGINE_STATE_KEY, host.snapshot()));
      // One status point a minute per device that was heard from, for "last seen" dashboards.
      every(60_000, () => {
        const t = clock();
        for (const [id, s] of live) {
          const d = registry.device(id);
          if (d && s.lastSeen !== null && t - s.lastSeen < 120_000) {
            void history.writeStatus(d, s.online, s.rejected, t).catch((err) => logger.error({ err }, 'outbox write failed'));
            s.rejected = 0;
          }
        }
      });
      if (config.GATEWAY_RULES_APPROVAL !== 'required') host.watch(rulesView.reload);
      profiles.watch((r) => (r.ok ? logger.info(r, 'payload profiles reloaded') : logger.warn({ problems: r.problems }, 'payload profile reload refused; the profiles in force are unchanged')));
      watchFile(registryPath, reloadRegistry);
      webhooks.start();
      supervision.start();
      const where = { mqttPort: mqtt?.port ?? null, mqttsPort: mqtts?.port ?? null, httpPort, httpUrl };
      logger.info({ ...where, webSocket: config.GATEWAY_MQTT_WS === 'on' ? '/mqtt' : 'off', history: history.enabled ? 'on' : 'off' }, 'gateway started');
      return where;
    },
    async stop() {
      stopping = true;
      const started = Date.now();
      for (const t of timers) clearInterval(t);
      host.close();
      profiles.close();
      for (const w of watchers) w.close();
      sse.closeAll();
      // No new connections or publishes; publishes in flight finish their outbox append first.
      await broker.close();
      await api.close();
      await webhooks.stop();
      await supervision.stop();
      kvSet(db, ENGINE_STATE_KEY, host.snapshot());
      // Whatever time is left of the stop budget goes to draining the outbox into InfluxDB.
      const drainMs = Math.max(0, config.GATEWAY_STOP_TIMEOUT - 2000 - (Date.now() - started));
      const outbox = await history.close(drainMs);
      db.close();
      if (outbox.points > 0) logger.warn({ outbox }, 'stopped with points left in the outbox; they are sent on the next start');
      logger.info('gateway stopped');
      return { outbox };
    },
  };
}
