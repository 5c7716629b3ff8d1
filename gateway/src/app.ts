// The composition root: builds the gateway's parts, connects them and lists them as
// components started in order and stopped in reverse. It holds no ingest or event logic:
// that is in pipeline/ (one accept() path for every source), liveness/, events/ and rules/.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApi, type Api } from './api/index.js';
import { createBroker, SessionStore } from './broker/index.js';
import { commandRoutes, createDeviceCommands } from './commands/index.js';
import type { GatewayConfig } from './config.js';
import type { Severity } from './domain/index.js';
import { createEventStore, createMaintenance, type AppliedTransition, type EventStore, type Maintenance } from './events/index.js';
import { createSseHub, createWebhooks, parseAllowList } from './fanout/index.js';
import { createEvidenceStore, evidenceCapWatcher, keepPicture, type EvidenceStore } from './evidence/index.js';
import { createHealth } from './health.js';
import { createHistory, type History } from './history.js';
import { decodeMessage, defaultIngestLimits, type IngestLimits } from './ingest/index.js';
import { createLiveness } from './liveness/index.js';
import { brokerCounters, createMetrics, createRateLimitedLog, registerGauges, type Logger } from './observability/index.js';
import { createHj212Commands, createHj212Source, hj212CommandRoutes } from './hj212/index.js';
import { createEventActions, createPipeline, historySink, listenerSink, mqttEventSink, mqttSource, sseSink, webhookSink } from './pipeline/index.js';
import { readQualityEvents } from './quality/index.js';
import { createRegistryHost } from './registry/index.js';
import { createProfiles } from './profiles/index.js';
import { createRuleHost } from './rule-host.js';
import { createBacktestService } from './rules/backtest-service.js';
import { runBacktestInWorker } from './rules/backtest-thread.js';
import { createSupervisionHost, type SupervisionHost } from './supervision-host.js';
import { COMPLAINT_DEVICE, createScanCode, referredRaise } from './scancode/index.js';
import { createDeviceAuth, createDeviceLoginBackoff, httpIngestRoutes, type Outcome } from './sources/index.js';
import { periodic, startComponents, stopComponents, watchFile, type Component } from './runtime/index.js';
import { kvGet, kvSet, openStateDb, type Backlog } from './storage/index.js';
import { createUserStore, loadApiToken, makeAllSitesExplicit } from './users/index.js';

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /** The gateway clock; tests inject their own. */
  clock?: () => number;
  /** Set when GATEWAY_REGISTRY was given explicitly: a missing file is then an error. */
  registryRequired?: boolean;
}

export interface Gateway {
  start(): Promise<{ mqttPort: number | null; mqttsPort: number | null; httpPort: number; httpUrl: string; hj212Port: number | null; hj212TlsPort: number | null }>;
  /** Graceful stop; reports what, if anything, had to stay in the outbox for the next start. */
  stop(): Promise<{ outbox: Backlog }>;
  readonly api: Api;
  readonly apiToken: string;
  readonly events: EventStore;
  readonly maintenance: Maintenance;
  readonly history: History;
  /** Profiles, inspections and risk (issue 16). */
  readonly supervision: SupervisionHost;
  /** Evidence pictures (retention sweeps, for tests and embedding). */
  readonly evidence: EvidenceStore;
  /** Applied transitions, in order, for tests and embedding. */
  onTransition(listener: (a: AppliedTransition) => void): () => void;
}

const ENGINE_STATE_KEY = 'engine-state';

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const log = (module: string) => logger.child({ module });
  const dataDir = resolve(config.GATEWAY_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  // State: registry, rules and engine state, users, events, history.
  const registry = createRegistryHost(resolve(config.GATEWAY_REGISTRY), opts.registryRequired ?? false, log('registry'));
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
  const evidence = createEvidenceStore({ dataDir, db, clock, maxPictureBytes: config.GATEWAY_EVIDENCE_MAX_BYTES, capBytes: config.GATEWAY_EVIDENCE_CAP_BYTES, retention: config.GATEWAY_EVIDENCE_RETENTION });
  const evidenceLog = log('evidence');
  const picturesDropped = metrics.counter('gateway_evidence_dropped_total', 'Pictures not kept although their detections were, by reason');
  const pictureLimit = createRateLimitedLog(60_000, clock);
  const pictureLog = (reason: string, detail: string) => (picturesDropped.inc({ reason }), pictureLimit.shouldLog(`evidence|${reason}`) && evidenceLog.error({ reason, detail }, 'picture not kept'));

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

  const overdueLimits: Partial<Record<Severity, number>> = {
    critical: config.GATEWAY_OVERDUE_CRITICAL,
    major: config.GATEWAY_OVERDUE_MAJOR,
    warning: config.GATEWAY_OVERDUE_WARNING,
    info: config.GATEWAY_OVERDUE_INFO,
  };
  // Payload profiles: vendor messages (MQTT topics, HTTP paths) turned into the contract's shape.
  const profilesDir = resolve(config.GATEWAY_PROFILES_DIR);
  const profilesLog = log('profiles');
  const profiles = createProfiles({
    dir: profilesDir,
    logger: profilesLog,
    decode: (topic, payload, device, now) => decodeMessage(topic, payload, device, now, limits),
    maxJsonDepth: limits.maxJsonDepth,
    onIgnored: ((c) => (profile: string, why: string) => c.inc({ profile, why }))(metrics.counter('gateway_profile_ignored_total', 'Vendor messages accepted and deliberately not turned into data, by profile and why')),
  });
  profilesLog.info({ dir: profilesDir, profiles: profiles.ids() }, 'payload profiles loaded');
  for (const d of registry.current().devices()) if (d.entry.profile && !profiles.has(d.entry.profile)) profilesLog.warn({ device: d.device, profile: d.entry.profile }, 'device names a payload profile that is not loaded; its vendor messages are refused');

  // The pipeline every source feeds, and the sinks every transition goes to, in order.
  const pipeline = createPipeline({
    engine: rules,
    events,
    maintenance,
    store: history,
    liveness,
    metrics,
    limits,
    pictures: (message, device) => keepPicture(evidence, message, device, pictureLog),
    outboxCapBytes: config.GATEWAY_OUTBOX_MAX_BYTES,
    deviceShareBytes: Math.floor((config.GATEWAY_OUTBOX_MAX_BYTES * config.GATEWAY_OUTBOX_DEVICE_SHARE) / 100),
    overdueLimits,
    translate: profiles.fromMqtt,
    clock,
    logger: log('pipeline'),
  });
  const listeners = new Set<(a: AppliedTransition) => void>();
  pipeline.addSink(historySink(history, log('history')));
  pipeline.addSink(sseSink(sse));

  // Device commands (commands/): their records, and the replies channel read off the MQTT source.
  const deviceCommands = createDeviceCommands({ db, audit: events.audit, registry: registry.current, metrics, logger: log('commands'), clock });

  // Sources: the MQTT broker today.
  // One count of failed device logins for MQTT, HTTP push and HJ 212.
  const loginBackoff = createDeviceLoginBackoff(config.GATEWAY_LOGIN_FREE_FAILURES);
  // Persistent MQTT sessions live in the state database.
  const mqttCounters = brokerCounters(metrics);
  const sessions = new SessionStore(db, {
    limits: { maxMessages: config.GATEWAY_MQTT_SESSION_MAX_MESSAGES, maxBytes: config.GATEWAY_MQTT_SESSION_MAX_BYTES },
    onDrop: (_clientId, reason) => mqttCounters.sessionQueueDropped.inc({ reason }),
  });
  const broker = createBroker({
    backoff: loginBackoff,
    registry: registry.current,
    authenticateAccount: (username, password) => {
      const p = users.authenticate(password);
      return p && p.user === username ? p : undefined;
    },
    accountExists: (name) => users.exists(name),
    logger: log('broker'),
    counters: mqttCounters,
    sessions,
    maxAccountSessions: config.GATEWAY_MQTT_ACCOUNT_SESSIONS,
    requireClientCert: config.GATEWAY_TLS_CA !== undefined,
    webSocketOrigins: config.GATEWAY_MQTT_WS_ORIGINS,
    limits: {
      maxPacketBytes: config.GATEWAY_MQTT_MAX_PACKET_BYTES,
      maxTopicLength: config.GATEWAY_MAX_TOPIC_LENGTH,
      maxPayloadBytes: config.GATEWAY_MAX_PAYLOAD_BYTES,
      connectionsPerSecond: config.GATEWAY_MQTT_CONN_PER_SECOND,
      freeLoginFailures: config.GATEWAY_LOGIN_FREE_FAILURES,
    },
    ...deviceCommands.withReplies(mqttSource(pipeline, log('mqtt-source'))),
  });
  deviceCommands.attachBroker(broker.aedes);
  pipeline.addSink(mqttEventSink(broker, log('fanout')));
  // A disabled user's live feeds end at once, not when they next reconnect.
  users.onDisabled((name) => {
    sse.closeUser(name);
    broker.kickAccount(name);
  });
  pipeline.addSink(webhookSink(webhooks));
  pipeline.addSink(listenerSink(listeners));

  // Sources: HJ 212 data loggers over TCP/TLS (hj212/); the 9014 goes out once accept() is durable.
  const hj212 = createHj212Source({
    registry: registry.current,
    accept: (device, decoded) => pipeline.accept('hj212', device, { decoded, qos: 1 }),
    writeLines: (lines) => history.writeLines(lines),
    busy: pipeline.outboxFull,
    seen: (device) => pipeline.seen(device),
    connection: (device, online) => pipeline.connection(device, online),
    limits,
    metrics,
    logger: log('hj212'),
    clock,
    timezone: config.GATEWAY_TIMEZONE,
    hj212Limits: { maxFrame: config.GATEWAY_HJ212_MAX_FRAME, freeLoginFailures: config.GATEWAY_LOGIN_FREE_FAILURES, connectionsPerSecond: config.GATEWAY_MQTT_CONN_PER_SECOND },
    sharedBackoff: loginBackoff,
    isOpen: pipeline.isOpen,
    raise: (t) => void pipeline.applySystem(t),
    onReply: (device, packet) => (packet.cn === '1013' ? void hj212Commands.onTimeRequest(device) : hj212Commands.onReply(device, packet)),
  });
  const hj212Commands = createHj212Commands({ send: hj212.send, session: hj212.session, records: deviceCommands.records, clock, timezone: config.GATEWAY_TIMEZONE });
  deviceCommands.useHj212((device, cmd, by) => hj212Commands.issue(device, cmd, by));
  registerGauges(metrics, {
    connectedClients: () => broker.connectedDevices(),
    influx: () => history.stats(),
    outbox: () => history.backlog(),
    webhooksPending: () => webhooks.pending(),
    sseClients: () => sse.size(),
    clock,
  });

  const watchEvidence = evidenceCapWatcher(evidence, {
    isOpen: pipeline.isOpen,
    apply: (t) => void (pipeline.applySystem(t) && evidenceLog.warn({ usage: evidence.usage() }, t.message)),
  });

  // A registry reload starts the offline clock of new devices and disconnects removed ones
  // and those whose credential or site changed (their sessions used the old one).
  registry.onChange((added, removed, rekeyed) => {
    pipeline.expect(added);
    for (const id of [...removed, ...rekeyed]) (broker.kick(id), hj212.kick(id));
    // A removed device's stored MQTT session goes too: nothing may queue for it any more.
    for (const id of removed) void sessions.forgetSession(id);
  });

  // Profiles, inspections and risk (issue 16); its events go through the pipeline's sinks.
  const supervision = createSupervisionHost({
    ...{ db, audit: events.audit, events, users, history, clock, logger: log('supervision'), rulesDir, overdueLimits },
    registry: registry.current,
    rules: () => rules.rules(),
    riskIntervalMs: config.GATEWAY_RISK_INTERVAL,
    publicPerMinute: config.GATEWAY_PUBLIC_PER_MINUTE,
    raise: (t) => pipeline.applySystem(t),
  });

  // Scan-code supervision (issue 17): site codes, complaints as referred COMPLAINT events, confirmations.
  const scancode = createScanCode({
    ...{ db, audit: events.audit, clock, logger: log('scancode'), pictures: evidence },
    site: supervision.site,
    departments: supervision.api.departments,
    raise: referredRaise(db, events, pipeline.dispatch, clock),
    eventState: (id) => events.get(id)?.state,
    steps: supervision.inspections.steps,
    limits: { perAddressPerHour: config.GATEWAY_COMPLAINTS_PER_ADDRESS, perSitePerHour: config.GATEWAY_COMPLAINTS_PER_SITE },
    complaints: metrics.counter('gateway_complaints_total', 'Complaints through site codes, by outcome'),
    confirmations: metrics.counter('gateway_visit_confirmations_total', 'Enterprise confirmations of inspection visits, by outcome'),
  });

  // The API.
  const tls = config.GATEWAY_TLS_CERT && config.GATEWAY_TLS_KEY ? { cert: readFileSync(config.GATEWAY_TLS_CERT), key: readFileSync(config.GATEWAY_TLS_KEY) } : undefined;
  const https = config.GATEWAY_HTTPS === 'on' || (config.GATEWAY_HTTPS === 'auto' && tls !== undefined) ? tls : undefined;
  const health = createHealth({
    history,
    connectedDevices: () => broker.connectedDevices(),
    refusing: () => pipeline.stopping() || pipeline.outboxFull(),
    outboxCapBytes: config.GATEWAY_OUTBOX_MAX_BYTES,
    clock,
  });
  // With a client CA, devices may push over HTTPS with a certificate; people need none.
  const httpsDevices = https && config.GATEWAY_TLS_CA ? { ...https, ca: readFileSync(config.GATEWAY_TLS_CA), requestCert: true, rejectUnauthorized: false } : https;
  // Backtests read history from InfluxDB in a worker thread; their approvals go into the audit trail.
  const backtests = history.url === null ? undefined : createBacktestService({
    rulesDir,
    workDir: join(dataDir, 'backtests'),
    baseJob: () => ({ registryPath: registry.path, stateDbPath: join(dataDir, 'state.db'), influx: { url: history.url!, api: config.INFLUX_API, token: config.INFLUX_TOKEN, org: config.INFLUX_ORG, bucket: config.INFLUX_BUCKET, database: config.INFLUX_DATABASE, retentionPolicy: config.INFLUX_RETENTION_POLICY, ...history.credentials } }),
    current: () => rules.rules().set,
    run: (job, onProgress) => runBacktestInWorker(job, onProgress),
    reload: () => rules.view.reload(),
    audit: (r) => void events.audit.append({ kind: 'rules', eventId: null, windowId: null, site: 'gateway', device: null, type: r.type, at: r.at, actor: r.actor, note: r.note, severity: null, value: null, detail: r.detail }),
    kv: { get: (k) => kvGet(db, k), set: (k, v) => kvSet(db, k, v) },
    clock,
  });
  const api = await buildApi({
    https: httpsDevices,
    bodyLimit: config.GATEWAY_API_BODY_LIMIT,
    timeouts: { requestMs: config.GATEWAY_HTTP_REQUEST_TIMEOUT, headersMs: config.GATEWAY_HTTP_HEADERS_TIMEOUT },
    maxPage: config.GATEWAY_API_MAX_PAGE,
    users,
    actions: createEventActions(events, pipeline, clock),
    maintenance,
    webhooks,
    sse,
    rules: rules.view,
    reloadRegistry: registry.reload,
    clock,
    logger: log('api'),
    metrics,
    registry: registry.current,
    events,
    devices: liveness.devices,
    evidence,
    payloadProfiles: profiles,
    readings: history.enabled ? history : null,
    supervision: supervision.api,
    scancode: { scan: scancode, publicUrl: config.GATEWAY_PUBLIC_URL, maxPictureBytes: config.GATEWAY_EVIDENCE_MAX_BYTES, pictures: evidence },
    qualityEvents: (f) => readQualityEvents(db, f),
    backtests,
    rulesApprovalRequired: config.GATEWAY_RULES_APPROVAL === 'required',
    ready: health.ready,
    health: health.health,
  });

  // Sources: HTTP device push, on the API's server.
  await api.register(hj212CommandRoutes({ registry: registry.current, commands: hj212Commands }));
  await api.register(commandRoutes({ registry: registry.current, commands: deviceCommands, ...(config.GATEWAY_API_MAX_PAGE ? { maxPage: config.GATEWAY_API_MAX_PAGE } : {}) }));
  await api.register(httpIngestRoutes({
    authenticate: createDeviceAuth({ registry: registry.current, backoff: loginBackoff, requireClientCert: config.GATEWAY_TLS_CA !== undefined }),
    decode: (topic, payload, device, now) => decodeMessage(topic, payload, device, now, limits),
    // A decoded message is never `ignored` (profiles decide that before), so the result is an Outcome.
    accept: (device, decoded, qos) => pipeline.accept('http', device, { decoded, qos: qos === 0 ? 0 : 1 }) as Promise<Outcome>,
    translate: profiles.fromHttp,
    busy: pipeline.outboxFull,
    clock,
    limits: { ...limits, maxItems: config.GATEWAY_INGEST_MAX_ITEMS, maxBodyBytes: config.GATEWAY_INGEST_MAX_BODY_BYTES },
    authFailures: metrics.counter('gateway_http_ingest_auth_failures_total', 'Refused device pushes over HTTP, by reason'),
    logger: log('http-ingest'),
  }));

  // Components, started in this order and stopped in reverse.
  let stopStartedAt = 0;
  let outboxLeft: Backlog = { points: 0, bytes: 0, oldestAt: null };
  const where = { mqttPort: null as number | null, mqttsPort: null as number | null, httpPort: config.GATEWAY_HTTP_PORT, httpUrl: '', hj212Port: null as number | null, hj212TlsPort: null as number | null };
  const components: Component[] = [
    { name: 'state-db', stop: () => void db.close() },
    {
      name: 'history',
      // Whatever time is left of the stop budget goes to draining the outbox into InfluxDB.
      stop: async () => {
        outboxLeft = await history.close(Math.max(0, config.GATEWAY_STOP_TIMEOUT - 2000 - (Date.now() - stopStartedAt)));
      },
    },
    // Engine state is saved on a graceful stop (after the last publish), and every 30 s,
    // which bounds what a crash loses (open events themselves are in the database at once).
    { name: 'engine-state', stop: () => kvSet(db, ENGINE_STATE_KEY, rules.snapshot()) },
    periodic('engine-state-save', 30_000, () => kvSet(db, ENGINE_STATE_KEY, rules.snapshot()), log('runtime')),
    { name: 'webhooks', start: () => webhooks.start(), stop: () => webhooks.stop() },
    {
      name: 'api',
      start: async () => {
        where.httpUrl = await api.listen({ port: config.GATEWAY_HTTP_PORT, host: config.GATEWAY_HOST });
        const address = api.server.address();
        if (address && typeof address === 'object') where.httpPort = address.port;
      },
      stop: () => api.close(),
    },
    {
      name: 'broker',
      // Stopping it refuses new connections and publishes; those in flight finish their outbox append first.
      start: async () => {
        if (config.GATEWAY_MQTT_PORT !== null) where.mqttPort = (await broker.listen(config.GATEWAY_MQTT_PORT, config.GATEWAY_HOST)).port;
        if (config.GATEWAY_MQTTS_PORT !== null && tls) {
          const ca = config.GATEWAY_TLS_CA ? { ca: readFileSync(config.GATEWAY_TLS_CA) } : {};
          where.mqttsPort = (await broker.listenTls(config.GATEWAY_MQTTS_PORT, config.GATEWAY_HOST, { ...tls, ...ca })).port;
        }
        if (config.GATEWAY_MQTT_WS === 'on') broker.attachWebSocket(api.server);
      },
      stop: () => broker.close(),
    },
    {
      name: 'hj212',
      start: async () => {
        if (config.GATEWAY_HJ212_PORT !== null) where.hj212Port = (await hj212.listen(config.GATEWAY_HJ212_PORT, config.GATEWAY_HOST)).port;
        if (config.GATEWAY_HJ212_TLS_PORT !== null && tls) where.hj212TlsPort = (await hj212.listenTls(config.GATEWAY_HJ212_TLS_PORT, config.GATEWAY_HOST, tls)).port;
      },
      stop: () => hj212.close(),
    },
    { name: 'sse', stop: () => sse.closeAll() },
    watchFile('registry-watcher', registry.path, 'use POST /api/registry/reload', registry.reload, log('registry')),
    // With approval required, rule files take effect only through an approved backtest.
    ...(config.GATEWAY_RULES_APPROVAL === 'required' ? [] : [rules.watcher()]),
    {
      name: 'profiles-watcher',
      start: () => profiles.watch((r) => (r.ok ? profilesLog.info(r, 'payload profiles reloaded') : profilesLog.warn({ problems: r.problems }, 'payload profile reload refused; the profiles in force are unchanged'))),
      stop: () => profiles.close(),
    },
    // One status point a minute per device heard from, for "last seen" dashboards.
    periodic('status-points', 60_000, () => liveness.statusPoints(clock(), (id) => registry.current().device(id)), log('runtime')),
    // RULES.md: offline and clearAfter are checked at least once a second on the gateway clock.
    periodic('tick', 1000, () => {
      const now = clock();
      pipeline.tick(now);
      watchEvidence(now);
    }, log('runtime')),
    // Commands past their TTL are marked expired (a queued one is never sent after it).
    periodic('command-expiry', 1000, () => void deviceCommands.sweep(), log('commands')),
    // Retention: pictures past their sector's retention and held by no open event are removed.
    periodic('evidence-sweep', 3_600_000, () => void evidence.sweep().catch((err) => evidenceLog.error({ err }, 'evidence sweep failed')), log('runtime')),
    // Devices in the registry start their offline clock at start; stopping ends waits for outbox room.
    { name: 'pipeline', start: () => pipeline.expect(registry.current().devices()), stop: () => pipeline.stop() },
    // Risk and inspections start last: their first pass reads what the parts above serve.
    { name: 'supervision', start: () => supervision.start(), stop: () => supervision.stop() },
  ];

  return {
    api,
    apiToken,
    events,
    maintenance,
    history,
    supervision,
    evidence,
    onTransition(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      await startComponents(components, log('runtime'));
      logger.info({ ...where, webSocket: config.GATEWAY_MQTT_WS === 'on' ? '/mqtt' : 'off', history: history.enabled ? 'on' : 'off' }, 'gateway started');
      return { ...where };
    },
    async stop() {
      stopStartedAt = Date.now();
      await stopComponents(components, log('runtime'));
      if (outboxLeft.points > 0) logger.warn({ outbox: outboxLeft }, 'stopped with points left in the outbox; they are sent on the next start');
      logger.info('gateway stopped');
      return { outbox: outboxLeft };
    },
  };
}
