import type { Detection, DeviceRef, Reading, Severity } from '../domain/index.js';
import type { AppliedTransition, EventStore, Maintenance } from '../events/index.js';
import { decodeMessage, type Decoded, type IngestLimits, type Rejection, type RejectReason } from '../ingest/index.js';
import type { Liveness } from '../liveness/index.js';
import { createRateLimitedLog, type Logger, type Metrics } from '../observability/index.js';
import type { RegisteredDevice } from '../registry/index.js';
import { inputsFor, type EngineInput, type RuleTransition } from '../rules/index.js';
import type { Backlog } from '../storage/index.js';
import { BACKLOG_KEY, backlogTransition } from './backlog-rule.js';
import { createDeviceShare } from './device-share.js';
import { sendToSinks, type TransitionSink } from './sinks.js';

/**
 * One message from an authenticated device, as a source hands it over.
 * - `topic` + `payload`: the MQTT topic contract and its JSON payloads, decoded here.
 * - `decoded`: a source with its own wire format (HJ 212, HTTP push) decodes it itself
 *   into readings, detections or a status, or a Rejection that is counted and logged here.
 * `qos` is the delivery the source promises: 1 (at least once: the source acknowledges only
 * when `accept` resolves, and at the outbox cap the promise waits for room) or 0 (at most
 * once: refused at the cap, counted, never waited for).
 */
export type IngestMessage = { qos: 0 | 1 } & ({ topic: string; payload: Buffer } | { decoded: Decoded | Rejection });

/**
 * What a message came to: accepted (durable once the promise resolved), or a Rejection with
 * its reason: bad input (nothing of it was kept; the reason is also the counter label), or
 * `outbox_full` for an at-most-once message refused at the outbox cap.
 */
export type AcceptResult = { ok: true; channel: Decoded['channel'] } | Rejection | Ignored;

/** A vendor message a payload profile accepted and deliberately turned into no data. */
export type Ignored = { ok: true; ignored: string };

/** What the pipeline writes readings and detections to (the history's outbox). */
export interface PipelineStore {
  writeReadings(readings: Reading[], maintenance?: boolean): Promise<void>;
  writeDetections(detections: Detection[]): Promise<void>;
  backlog(): Backlog;
  /** Bytes appended so far; with waitingBytes(), tells which device's writes are still waiting. */
  appended(): number;
  /** backlog().bytes without building the object: asked for every message. */
  waitingBytes(): number;
}

export interface PipelineOptions {
  /** The rule engine in force (the rule host): pure, steps on the gateway clock. */
  engine: { step(input: EngineInput, now: number): RuleTransition[] };
  events: EventStore;
  maintenance: Pick<Maintenance, 'covers'>;
  store: PipelineStore;
  liveness: Liveness;
  metrics: Metrics;
  limits: IngestLimits;
  /** At this many outbox bytes the pipeline applies backpressure and raises storage_backlog. */
  outboxCapBytes: number;
  /**
   * At this many of its own bytes in the outbox a device's at-least-once messages wait (and its
   * at-most-once ones are refused), alone, while other devices go on; default: no share.
   */
  deviceShareBytes?: number;
  /**
   * Payload profiles: a vendor message on a topic turned into the contract's shape, or
   * `{ ignored }`, or null when no profile applies (the topic contract then decodes it).
   */
  translate?: (device: RegisteredDevice, topic: string, payload: Buffer, now: number) => Decoded | Rejection | { ignored: string } | null;
  /**
   * Stores a vision message's picture first and returns the message with the picture's hash
   * on its detections (or a rejection); absent, pictures are ignored.
   */
  pictures?: (message: Vision, device: RegisteredDevice) => Promise<Decoded | Rejection>;
  /** Seconds after which an unacknowledged event of a severity is overdue. */
  overdueLimits: Partial<Record<Severity, number>>;
  clock: () => number;
  logger: Logger;
}

export type Pipeline = ReturnType<typeof createPipeline>;

type Vision = Extract<Decoded, { channel: 'vision' }>;

const ROOM_POLL_MS = 250;

export function createPipeline(opts: PipelineOptions) {
  const { engine, events, store, liveness, metrics, limits, clock, logger } = opts;
  const sinks: TransitionSink[] = [];
  const rejectLog = createRateLimitedLog(60_000, clock);
  const accepted = metrics.counter('gateway_messages_accepted_total', 'Messages accepted, by channel');
  const rejected = metrics.counter('gateway_messages_rejected_total', 'Messages rejected, by reason');
  const acceptedBy = { telemetry: accepted.bind({ channel: 'telemetry' }), vision: accepted.bind({ channel: 'vision' }), status: accepted.bind({ channel: 'status' }) };
  const readingsTotal = metrics.counter('gateway_readings_total', 'Telemetry values accepted').bind();
  const transitionsTotal = metrics.counter('gateway_event_transitions_total', 'Event transitions, by type and severity');
  const refusedAtCap = metrics.counter('gateway_outbox_refused_total', 'Publishes refused while the outbox was at its cap, by qos');
  const heldAtShare = metrics.counter('gateway_outbox_device_held_total', "Publishes held (qos 1) or refused (qos 0) while their device's share of the outbox was full, by qos");
  const ok = { telemetry: { ok: true, channel: 'telemetry' }, vision: { ok: true, channel: 'vision' }, status: { ok: true, channel: 'status' } } as const;
  // What a durable write resolves to, built once: one function less to allocate per message.
  const okOf: Record<Decoded['channel'], () => AcceptResult> = { telemetry: () => ok.telemetry, vision: () => ok.vision, status: () => ok.status };
  let stopping = false;

  const outboxFull = () => store.waitingBytes() >= opts.outboxCapBytes;
  const share = createDeviceShare({ appended: () => store.appended(), waiting: () => store.waitingBytes() }, opts.deviceShareBytes ?? Infinity);

  /** Storage and fan-out of one recorded transition, through every sink in order. */
  function dispatch(a: AppliedTransition): void {
    transitionsTotal.inc({ type: a.transition.type, severity: a.event.severity });
    sendToSinks(sinks, a, logger);
  }

  /** Steps the engine and records, then dispatches, every transition it makes. */
  function run(input: EngineInput, now: number): void {
    for (const t of engine.step(input, now)) record(t);
  }

  function record(t: RuleTransition): AppliedTransition | null {
    const applied = events.applyRuleTransition(t);
    if (!applied) return null;
    if (applied.transition.type === 'raised') {
      logger.info({ event: applied.event.id, rule: t.rule, site: t.site, device: t.device, severity: t.severity, suppressed: applied.event.suppressed }, t.message);
    }
    dispatch(applied);
    return applied;
  }

  function decode(device: RegisteredDevice, message: IngestMessage, now: number): Decoded | Rejection | { ignored: string } {
    if ('decoded' in message) return message.decoded;
    return opts.translate?.(device, message.topic, message.payload, now) ?? decodeMessage(message.topic, message.payload, device, now, limits);
  }

  /** Writes what was decoded and updates liveness; resolves when it is durable. */
  function keep(device: RegisteredDevice, decoded: Decoded, now: number): Promise<void> {
    if (decoded.channel === 'status') return liveness.status(device, decoded.status.online, now);
    if (decoded.channel === 'telemetry') {
      readingsTotal.inc(decoded.readings.length);
      liveness.heard(device.device, now, decoded.readings);
      return store.writeReadings(decoded.readings, opts.maintenance.covers(device.site, device.device, decoded.readings[0]!.ts));
    }
    liveness.heard(device.device, now);
    return store.writeDetections(decoded.detections);
  }

  function isOpen(key: string): boolean {
    return events.unresolvedKeys().includes(key);
  }

  function applySystem(t: RuleTransition): AppliedTransition | null {
    const applied = events.applyRuleTransition(t);
    if (applied) dispatch(applied);
    return applied;
  }

  async function waitForRoom(device: string): Promise<void> {
    while ((outboxFull() || share.over(device)) && !stopping) await new Promise((r) => setTimeout(r, ROOM_POLL_MS));
    // A message held at the cap while the gateway stops is not acknowledged: the device resends it.
    if (outboxFull() || share.over(device)) throw new Error('the gateway is stopping and the outbox is full; the message was not accepted');
  }

  function accept(source: string, device: RegisteredDevice, message: IngestMessage): Promise<AcceptResult> {
    if (outboxFull()) {
      // At the cap nothing is dropped silently: at-least-once waits (its ack withheld), at-most-once is refused and counted.
      refusedAtCap.inc({ qos: String(message.qos) });
      if (message.qos === 0) return Promise.resolve({ ok: false, reason: 'outbox_full', detail: 'the outbox is at its cap; InfluxDB is behind' });
      return waitForRoom(device.device).then(() => accept(source, device, message));
    }
    if (share.over(device.device)) {
      // The same for one device at its share, so that a flooding device waits alone.
      heldAtShare.inc({ qos: String(message.qos) });
      if (message.qos === 0) return Promise.resolve({ ok: false, reason: 'outbox_full', detail: "this device's share of the outbox is full; InfluxDB is behind" });
      return waitForRoom(device.device).then(() => accept(source, device, message));
    }
    const decoded = decode(device, message, clock());
    if ('ignored' in decoded) return Promise.resolve({ ok: true, ignored: decoded.ignored });
    if (decoded.ok && decoded.channel === 'vision' && decoded.picture && opts.pictures) {
      return opts.pictures(decoded, device).then((d) => proceed(source, device, d));
    }
    return proceed(source, device, decoded);
  }

  /** A decoded message (or its rejection): counted, kept, through the engine; resolves once durable. */
  function proceed(source: string, device: RegisteredDevice, decoded: Decoded | Rejection): Promise<AcceptResult> {
    const now = clock();
    if (!decoded.ok) {
      rejected.inc({ reason: decoded.reason });
      liveness.rejected(device.device);
      if (rejectLog.shouldLog(device.device)) {
        logger.warn({ source, site: device.site, device: device.device, reason: decoded.reason, detail: decoded.detail }, 'message rejected');
      }
      return Promise.resolve({ ok: false, reason: decoded.reason, detail: decoded.detail });
    }
    acceptedBy[decoded.channel].inc();
    if (decoded.channel === 'vision' && decoded.amends) return amend(decoded, now);
    const before = store.appended();
    const durable = keep(device, decoded, now);
    share.charge(device.device, before, store.appended());
    for (const input of inputsFor(decoded, device)) run(input, now);
    return durable.then(okOf[decoded.channel]);
  }

  /**
   * A picture for detections already counted: the same detection points are written again with
   * the picture's hash (InfluxDB merges them into the existing points), the unresolved events
   * holding them get it in their evidence; the rules do not see the detections a second time.
   */
  function amend(decoded: Vision, now: number): Promise<AcceptResult> {
    const durable = store.writeDetections(decoded.detections);
    for (const d of decoded.detections) if (d.picture) for (const a of events.attachPicture(d, d.picture, now)) dispatch(a);
    return durable.then(okOf.vision);
  }

  return {
    accept,
    /** A message without data (an HJ 212 heartbeat): the device is alive, for liveness and offline rules. */
    seen(device: RegisteredDevice): void {
      const now = clock();
      liveness.heard(device.device, now);
      run({ type: 'seen', ref: device }, now);
    },
    /** A source's connection to a device opened or closed (MQTT, an HJ 212 TCP link). */
    connection(device: RegisteredDevice, online: boolean): void {
      const now = clock();
      if (online) run({ type: 'seen', ref: device }, now);
      liveness.connection(device, online, now);
    },
    /** Registry devices start their offline clock now, so one that never connects is noticed. */
    expect(devices: Iterable<DeviceRef>): void {
      const now = clock();
      for (const d of devices) run({ type: 'expect', ref: { site: d.site, device: d.device, sector: d.sector, kind: d.kind } }, now);
    },
    /** Once a second (RULES.md): offline and clearAfter, overdue events, the storage backlog rule. */
    tick(now: number): void {
      run({ type: 'tick' }, now);
      share.sweep();
      for (const a of events.markOverdue(opts.overdueLimits, now)) dispatch(a);
      const full = outboxFull();
      if (full === isOpen(BACKLOG_KEY)) return;
      const b = store.backlog();
      const t = backlogTransition(full, b, opts.outboxCapBytes, now);
      if (applySystem(t)) logger[full ? 'error' : 'info']({ backlog: b }, t.message);
    },
    /** For built-in system rules (storage backlog, evidence disk full): is the event of this key unresolved? */
    isOpen,
    /** Records and fans out a transition of a built-in system rule. */
    applySystem,
    /** A person resolved an event: the engine forgets it as open, so a new violation raises anew. */
    release(key: string, now: number): void {
      run({ type: 'release', key }, now);
    },
    /** Fans out a transition a person made (acknowledge, comment, resolve, close). */
    dispatch,
    addSink(sink: TransitionSink): void {
      sinks.push(sink);
    },
    outboxFull,
    /** Stops waiting for room: a held message is then refused (not acknowledged). */
    stop(): void {
      stopping = true;
    },
    stopping: () => stopping,
  };
}
