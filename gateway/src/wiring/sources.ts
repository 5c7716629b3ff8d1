import { readFileSync } from 'node:fs';
import type { GatewayConfig } from '../config.js';
import { createBroker, SessionStore } from '../broker/index.js';
import { createHj212Commands, createHj212Source, hj212CommandRoutes } from '../hj212/index.js';
import { decodeMessage, type IngestLimits } from '../ingest/index.js';
import { brokerCounters } from '../observability/index.js';
import type { mqttSource, Pipeline } from '../pipeline/index.js';
import type { CommandRecords } from '../commands/index.js';
import type { Profiles } from '../profiles/index.js';
import type { Component } from '../runtime/index.js';
import { createDeviceAuth, createDeviceLoginBackoff, httpIngestRoutes, type Outcome } from '../sources/index.js';
import type { GatewayState, ModuleLog } from './state.js';
import type { TlsSettings } from './settings.js';

// The sources: MQTT (broker/), HJ 212 over TCP/TLS (hj212/) and HTTP push (sources/). Each
// authenticates the device, then calls pipeline.accept() and acknowledges once it resolves.

type Parts = { pipeline: Pipeline; limits: IngestLimits; clock: () => number; log: ModuleLog };
type MqttHooks = ReturnType<typeof mqttSource>;
/** Where the listeners ended up (ports chosen by the system when configured as 0). */
export type Listening = { mqttPort: number | null; mqttsPort: number | null; hj212Port: number | null; hj212TlsPort: number | null };

/** One count of failed device logins for MQTT, HTTP push and HJ 212. */
export const deviceLoginBackoff = (config: GatewayConfig) => createDeviceLoginBackoff(config.GATEWAY_LOGIN_FREE_FAILURES);

/** The MQTT broker; `hooks` are what it calls on a device's connections and publishes (pipeline/mqtt-source.ts, wrapped by commands/ for replies). */
export function buildBroker(config: GatewayConfig, s: Pick<GatewayState, 'db' | 'registry' | 'users' | 'metrics'>, backoff: ReturnType<typeof deviceLoginBackoff>, hooks: MqttHooks, log: ModuleLog) {
  const counters = brokerCounters(s.metrics);
  // Persistent MQTT sessions live in the state database.
  const sessions = new SessionStore(s.db, {
    limits: { maxMessages: config.GATEWAY_MQTT_SESSION_MAX_MESSAGES, maxBytes: config.GATEWAY_MQTT_SESSION_MAX_BYTES },
    onDrop: (_clientId, reason) => counters.sessionQueueDropped.inc({ reason }),
  });
  const broker = createBroker({
    backoff,
    registry: s.registry.current,
    authenticateAccount: (username, password) => {
      const who = s.users.authenticate(password);
      return who && who.user === username ? who : undefined;
    },
    accountExists: (name) => s.users.exists(name),
    logger: log('broker'),
    counters,
    sessions,
    maxAccountSessions: config.GATEWAY_MQTT_ACCOUNT_SESSIONS,
    requireClientCert: config.GATEWAY_TLS_CA !== undefined,
    webSocketOrigins: config.GATEWAY_MQTT_WS_ORIGINS,
    limits: {
      maxPacketBytes: config.GATEWAY_MQTT_MAX_PACKET_BYTES,
      maxCameraPacketBytes: config.GATEWAY_MQTT_MAX_CAMERA_PACKET_BYTES,
      maxTopicLength: config.GATEWAY_MAX_TOPIC_LENGTH,
      maxPayloadBytes: config.GATEWAY_MAX_PAYLOAD_BYTES,
      connectionsPerSecond: config.GATEWAY_MQTT_CONN_PER_SECOND,
      freeLoginFailures: config.GATEWAY_LOGIN_FREE_FAILURES,
    },
    ...hooks,
  });
  return { broker, sessions };
}
export type Broker = ReturnType<typeof createBroker>;

/** HJ 212 data loggers and the commands sent to them; the 9014 goes out once accept() is durable. */
export function buildHj212(config: GatewayConfig, s: Pick<GatewayState, 'registry' | 'history' | 'metrics'>, backoff: ReturnType<typeof deviceLoginBackoff>, records: CommandRecords, p: Parts) {
  const { pipeline, clock } = p;
  const source = createHj212Source({
    registry: s.registry.current,
    accept: (device, decoded) => pipeline.accept('hj212', device, { decoded, qos: 1 }),
    writeLines: (lines) => s.history.writeLines(lines),
    busy: pipeline.outboxFull,
    seen: (device) => pipeline.seen(device),
    connection: (device, online) => pipeline.connection(device, online),
    limits: p.limits,
    metrics: s.metrics,
    logger: p.log('hj212'),
    clock,
    timezone: config.GATEWAY_TIMEZONE,
    hj212Limits: { maxFrame: config.GATEWAY_HJ212_MAX_FRAME, freeLoginFailures: config.GATEWAY_LOGIN_FREE_FAILURES, connectionsPerSecond: config.GATEWAY_MQTT_CONN_PER_SECOND },
    sharedBackoff: backoff,
    isOpen: pipeline.isOpen,
    raise: (t) => void pipeline.applySystem(t),
    onReply: (device, packet) => (packet.cn === '1013' ? void commands.onTimeRequest(device) : commands.onReply(device, packet)),
  });
  const commands = createHj212Commands({ send: source.send, session: source.session, records, clock, timezone: config.GATEWAY_TIMEZONE });
  return { source, commands, routes: hj212CommandRoutes({ registry: s.registry.current, commands }) };
}
export type Hj212 = ReturnType<typeof buildHj212>;

/** HTTP device push (/ingest/v1), served on the API's server. */
export function buildHttpIngest(config: GatewayConfig, s: Pick<GatewayState, 'registry' | 'metrics'>, backoff: ReturnType<typeof deviceLoginBackoff>, profiles: Profiles, p: Parts) {
  const { pipeline, limits } = p;
  return httpIngestRoutes({
    authenticate: createDeviceAuth({ registry: s.registry.current, backoff, requireClientCert: config.GATEWAY_TLS_CA !== undefined }),
    decode: (topic, payload, device, now) => decodeMessage(topic, payload, device, now, limits),
    // A decoded message is never `ignored` (profiles decide that before), so the result is an Outcome.
    accept: (device, decoded, qos) => pipeline.accept('http', device, { decoded, qos: qos === 0 ? 0 : 1 }) as Promise<Outcome>,
    translate: profiles.fromHttp,
    busy: pipeline.outboxFull,
    clock: p.clock,
    limits: { ...limits, maxItems: config.GATEWAY_INGEST_MAX_ITEMS, maxBodyBytes: config.GATEWAY_INGEST_MAX_BODY_BYTES },
    authFailures: s.metrics.counter('gateway_http_ingest_auth_failures_total', 'Refused device pushes over HTTP, by reason'),
    logger: p.log('http-ingest'),
  });
}

/** The broker's listeners: MQTT, MQTTS (with a certificate) and WebSocket on the API's server. Stopping refuses new connections and publishes; those in flight finish their outbox append first. */
export function brokerComponent(config: GatewayConfig, broker: Broker, tls: TlsSettings['tls'], apiServer: () => Parameters<Broker['attachWebSocket']>[0], where: Listening): Component {
  return {
    name: 'broker',
    start: async () => {
      if (config.GATEWAY_MQTT_PORT !== null) where.mqttPort = (await broker.listen(config.GATEWAY_MQTT_PORT, config.GATEWAY_HOST)).port;
      if (config.GATEWAY_MQTTS_PORT !== null && tls) {
        const ca = config.GATEWAY_TLS_CA ? { ca: readFileSync(config.GATEWAY_TLS_CA) } : {};
        where.mqttsPort = (await broker.listenTls(config.GATEWAY_MQTTS_PORT, config.GATEWAY_HOST, { ...tls, ...ca })).port;
      }
      if (config.GATEWAY_MQTT_WS === 'on') broker.attachWebSocket(apiServer());
    },
    stop: () => broker.close(),
  };
}

/** The HJ 212 listeners, plain and TLS. */
export function hj212Component(config: GatewayConfig, hj212: Hj212['source'], tls: TlsSettings['tls'], where: Listening): Component {
  return {
    name: 'hj212',
    start: async () => {
      if (config.GATEWAY_HJ212_PORT !== null) where.hj212Port = (await hj212.listen(config.GATEWAY_HJ212_PORT, config.GATEWAY_HOST)).port;
      if (config.GATEWAY_HJ212_TLS_PORT !== null && tls) where.hj212TlsPort = (await hj212.listenTls(config.GATEWAY_HJ212_TLS_PORT, config.GATEWAY_HOST, tls)).port;
    },
    stop: () => hj212.close(),
  };
}
