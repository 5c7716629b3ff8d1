// Wiring of the HJ 212 listener to the gateway: readings go through the gateway's one accept
// path (rules, liveness, outbox), frames are stored as hj212_frame, the late-data policy is
// the ingest module's own. app.ts creates this with the functions it already has.
import type { Reading } from '../domain/index.js';
import { eventTime, type Decoded, type IngestLimits, type Rejection } from '../ingest/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { RegisteredDevice, Registry } from '../registry/index.js';
import { escapeName, nanos, quoteString } from '../storage/index.js';
import type { RuleTransition } from '../rules/index.js';
import { createHj212Listener, type FrameRecord, type Hj212Limits, type Hj212ListenerOptions } from './listener.js';
import { alarmTransitions, type Hj212Notice } from './notices.js';

export interface Hj212SourceDeps {
  registry: () => Registry;
  /** The gateway's accept path for a decoded message; resolves with its outcome once durable. */
  accept(device: RegisteredDevice, decoded: Decoded): Promise<{ ok: true } | Rejection>;
  /** Appends lines to the outbox; resolves once durable. */
  writeLines(lines: string[]): Promise<void>;
  /** True while the outbox is at its cap: the connection waits (its 9014 withheld). */
  busy(): boolean;
  /** Any frame: the device is alive (offline rules). */
  seen(device: RegisteredDevice): void;
  connection(device: RegisteredDevice, online: boolean): void;
  limits: IngestLimits;
  metrics: Metrics;
  logger: Logger;
  clock: () => number;
  timezone: string;
  hj212Limits?: Partial<Hj212Limits>;
  onReply?: Hj212ListenerOptions['onReply'];
  sharedBackoff?: Hj212ListenerOptions['sharedBackoff'];
  /** A logger alarm (2072) as a supervision event: whether its key is open, and record it (pipeline.applySystem). */
  isOpen?(key: string): boolean;
  raise?(t: RuleTransition): void;
}

/** A 2081: one device_boot point (restarted_at in ms since epoch when the logger said when; the frame's SHA-256). */
export function bootLine(device: RegisteredDevice, n: Extract<Hj212Notice, { kind: 'boot' }>, seq: number): string {
  const fields = [...(n.restartedAt !== undefined ? [`restarted_at=${n.restartedAt}i`] : []), `source="hj212"`, `frame=${quoteString(n.frame)}`].join(',');
  return `device_boot,site=${escapeName(device.site)},device=${escapeName(device.device)} ${fields} ${nanos(n.at, seq)}`;
}

/** One hj212_frame point per frame; the nanosecond part keeps frames of one millisecond apart. */
export function frameLines(device: RegisteredDevice, records: FrameRecord[], seq: () => number): string[] {
  return records.map(
    (r) =>
      `hj212_frame,site=${escapeName(device.site)},device=${escapeName(device.device)},cn=${escapeName(r.cn)} ` +
      `qn=${quoteString(r.qn ?? '')},sha256=${quoteString(r.sha256)},raw=${quoteString(r.raw)} ${nanos(r.receivedAt, seq())}`,
  );
}

export function createHj212Source(deps: Hj212SourceDeps) {
  let counter = 0;
  const seq = () => (counter = (counter + 1) % 1_000_000);

  async function room() {
    while (deps.busy()) await new Promise((r) => setTimeout(r, 250));
  }

  const listener = createHj212Listener({
    registry: deps.registry,
    metrics: deps.metrics,
    logger: deps.logger,
    clock: deps.clock,
    timezone: deps.timezone,
    limits: deps.hj212Limits,
    onReply: deps.onReply,
    sharedBackoff: deps.sharedBackoff,
    ingest: {
      async readings(device, readings: Reading[]) {
        await room();
        const r = await deps.accept(device, { ok: true, channel: 'telemetry', readings });
        return r.ok ? { ok: true } : { ok: false, reason: r.reason, detail: r.detail };
      },
      async frames(device, records) {
        await room();
        return deps.writeLines(frameLines(device, records, seq));
      },
      async notice(device, n) {
        if (n.kind === 'boot') {
          await room();
          deps.logger.info({ site: device.site, device: device.device, restartedAt: n.restartedAt }, 'HJ 212 logger restarted (2081)');
          return deps.writeLines([bootLine(device, n, seq())]);
        }
        for (const t of alarmTransitions(device, n)) if (deps.raise && !deps.isOpen?.(t.key)) deps.raise(t);
      },
      seen: (device) => deps.seen(device),
      connection: (device, online) => deps.connection(device, online),
      // The one late-data policy (ingest/event-time.ts): backfill window, too_old, late marks.
      eventTime: (ts, receivedAt) => eventTime(ts, receivedAt, deps.limits),
    },
  });
  return listener;
}
