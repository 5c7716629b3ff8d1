// The composition root: builds the gateway's parts (through the builders of wiring/),
// connects them and lists them as components started in order and stopped in reverse. It
// holds no ingest or event logic: that is in pipeline/ (one accept() path for every
// source), liveness/, events/ and rules/.
import type { Api } from './api/index.js';
import { commandRoutes, createDeviceCommands } from './commands/index.js';
import type { GatewayConfig } from './config.js';
import type { AppliedTransition, EventStore, Maintenance } from './events/index.js';
import { evidenceCapWatcher, type EvidenceStore } from './evidence/index.js';
import type { History } from './history.js';
import { registerGauges, type Logger } from './observability/index.js';
import { historySink, listenerSink, mqttEventSink, mqttSource, sseSink, webhookSink } from './pipeline/index.js';
import { periodic, startComponents, stopComponents, watchFile, type Component } from './runtime/index.js';
import type { Backlog } from './storage/index.js';
import type { SupervisionHost } from './supervision-host.js';
import {
  brokerComponent,
  buildBroker,
  buildEvidence,
  buildHj212,
  buildHttpApi,
  buildHttpIngest,
  buildPipeline,
  buildProfiles,
  buildState,
  buildSupervision,
  deviceLoginBackoff,
  hj212Component,
  ingestLimits,
  overdueLimits,
  tlsSettings,
  type Listening,
} from './wiring/index.js';

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

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const log = (module: string) => logger.child({ module });

  // State: registry, rules and engine state, users, events, history, live views.
  const state = await buildState(config, { clock, log, registryRequired: opts.registryRequired ?? false });
  const { registry, db, rules, users, history, webhooks, events, maintenance, metrics, sse, liveness } = state;
  const limits = ingestLimits(config);
  const overdue = overdueLimits(config);
  const tls = tlsSettings(config);

  // The pipeline every source feeds.
  const { evidence, evidenceLog, keep } = buildEvidence(config, state, clock, log);
  const { profiles, watcher: profilesWatcher } = buildProfiles(config, state, limits, log);
  const pipeline = buildPipeline(config, state, { limits, overdueLimits: overdue, keepPicture: keep, profiles, clock, log });

  // Device commands (commands/): their records, and the replies channel read off the MQTT source.
  const deviceCommands = createDeviceCommands({ db, audit: events.audit, registry: registry.current, metrics, logger: log('commands'), clock });

  // Sources: MQTT, HJ 212 and (on the API's server, below) HTTP push.
  const backoff = deviceLoginBackoff(config);
  const sourceParts = { pipeline, limits, clock, log };
  const { broker, sessions } = buildBroker(config, state, backoff, deviceCommands.withReplies(mqttSource(pipeline, log('mqtt-source'))), log);
  deviceCommands.attachBroker(broker.aedes);
  const hj212 = buildHj212(config, state, backoff, deviceCommands.records, sourceParts);
  deviceCommands.useHj212((device, cmd, by) => hj212.commands.issue(device, cmd, by));

  // Every transition goes to these sinks, in this order.
  const listeners = new Set<(a: AppliedTransition) => void>();
  pipeline.addSink(historySink(history, log('history')));
  pipeline.addSink(sseSink(sse));
  pipeline.addSink(mqttEventSink(broker, log('fanout')));
  pipeline.addSink(webhookSink(webhooks));
  pipeline.addSink(listenerSink(listeners));

  // A disabled user's live feeds end at once, not when they next reconnect.
  users.onDisabled((name) => {
    sse.closeUser(name);
    broker.kickAccount(name);
  });
  // A registry reload starts the offline clock of new devices and disconnects removed ones
  // and those whose credential or site changed (their sessions used the old one).
  registry.onChange((added, removed, rekeyed) => {
    pipeline.expect(added);
    for (const id of [...removed, ...rekeyed]) (broker.kick(id), hj212.source.kick(id));
    // A removed device's stored MQTT session goes too: nothing may queue for it any more.
    for (const id of removed) void sessions.forgetSession(id);
  });
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

  // Profiles, inspections, risk and scan-code supervision (issues 16, 17).
  const { supervision, scancode } = buildSupervision(config, state, { pipeline, evidence, overdueLimits: overdue, clock, log });

  // The API, and the routes of sources that live on its server.
  const api = await buildHttpApi(config, state, { pipeline, evidence, profiles, supervision, scancode, connectedDevices: () => broker.connectedDevices(), tls, clock, log });
  await api.register(hj212.routes);
  await api.register(commandRoutes({ registry: registry.current, commands: deviceCommands, ...(config.GATEWAY_API_MAX_PAGE ? { maxPage: config.GATEWAY_API_MAX_PAGE } : {}) }));
  await api.register(buildHttpIngest(config, state, backoff, profiles, sourceParts));

  // Components, started in this order and stopped in reverse.
  let stopStartedAt = 0;
  let outboxLeft: Backlog = { points: 0, bytes: 0, oldestAt: null };
  const where: Listening & { httpPort: number; httpUrl: string } = { mqttPort: null, mqttsPort: null, httpPort: config.GATEWAY_HTTP_PORT, httpUrl: '', hj212Port: null, hj212TlsPort: null };
  const runtimeLog = log('runtime');
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
    { name: 'engine-state', stop: state.saveEngineState },
    periodic('engine-state-save', 30_000, state.saveEngineState, runtimeLog),
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
    brokerComponent(config, broker, tls.tls, () => api.server, where),
    hj212Component(config, hj212.source, tls.tls, where),
    { name: 'sse', stop: () => sse.closeAll() },
    watchFile('registry-watcher', registry.path, 'use POST /api/registry/reload', registry.reload, log('registry')),
    // With approval required, rule files take effect only through an approved backtest.
    ...(config.GATEWAY_RULES_APPROVAL === 'required' ? [] : [rules.watcher()]),
    profilesWatcher,
    // One status point a minute per device heard from, for "last seen" dashboards.
    periodic('status-points', 60_000, () => liveness.statusPoints(clock(), (id) => registry.current().device(id)), runtimeLog),
    // RULES.md: offline and clearAfter are checked at least once a second on the gateway clock.
    periodic('tick', 1000, () => {
      const now = clock();
      pipeline.tick(now);
      watchEvidence(now);
    }, runtimeLog),
    // Commands past their TTL are marked expired (a queued one is never sent after it).
    periodic('command-expiry', 1000, () => void deviceCommands.sweep(), log('commands')),
    // Retention: pictures past their sector's retention and held by no open event are removed.
    periodic('evidence-sweep', 3_600_000, () => void evidence.sweep().catch((err) => evidenceLog.error({ err }, 'evidence sweep failed')), runtimeLog),
    // Devices in the registry start their offline clock at start; stopping ends waits for outbox room.
    { name: 'pipeline', start: () => pipeline.expect(registry.current().devices()), stop: () => pipeline.stop() },
    // Risk and inspections start last: their first pass reads what the parts above serve.
    { name: 'supervision', start: () => supervision.start(), stop: () => supervision.stop() },
  ];

  return {
    api,
    apiToken: state.apiToken,
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
      await startComponents(components, runtimeLog);
      logger.info({ ...where, webSocket: config.GATEWAY_MQTT_WS === 'on' ? '/mqtt' : 'off', history: history.enabled ? 'on' : 'off' }, 'gateway started');
      return { ...where };
    },
    async stop() {
      stopStartedAt = Date.now();
      await stopComponents(components, runtimeLog);
      if (outboxLeft.points > 0) logger.warn({ outbox: outboxLeft }, 'stopped with points left in the outbox; they are sent on the next start');
      logger.info('gateway stopped');
      return { outbox: outboxLeft };
    },
  };
}
