/**
 * The event-time policy (README "Time and order", RULES.md "Time and order"): which time a
 * message's values carry. Every ingest path (MQTT JSON, HJ 212, HTTP push) decides it here,
 * so one device is treated alike whatever it speaks.
 *
 *   payload ts within [now - maxBackfill, now + maxClockSkew]  -> its own time
 *     ... and older than now - maxClockSkew                    -> marked `late` (buffered, re-sent)
 *   payload ts further ahead than maxClockSkew                 -> arrival time, marked `skewed`
 *   payload ts older than maxBackfill                          -> refused, reason `too_old`
 *   no payload ts                                              -> arrival time, no mark
 *
 * Store-and-forward devices (DTUs, HJ 212 loggers re-sending "补传" data after an outage) need
 * their readings at the time they were taken; a time far in the past is most likely a device
 * with a broken clock, and storing it would put the value where nobody looks.
 */
export interface TimePolicy {
  /** A payload `ts` further than this ahead of the gateway clock is replaced by the arrival time. */
  maxClockSkewMs: number;
  /** A payload `ts` older than this is refused (`too_old`); must be at least maxClockSkewMs. */
  maxBackfillMs: number;
}

export const defaultTimePolicy: TimePolicy = { maxClockSkewMs: 5 * 60_000, maxBackfillMs: 7 * 86_400_000 };

export type EventTime =
  | {
      ok: true;
      /** The event time (ms since epoch). */
      ts: number;
      /** A payload ts was replaced by the arrival time: it lay too far in the future. */
      skewed: boolean;
      /** The device's own time, older than the skew window: buffered data re-sent. */
      late: boolean;
      /** `ts` is the arrival time (no payload ts, or a skewed one): it names no reading of the device's. */
      arrival: boolean;
    }
  | { ok: false; detail: string };

const ARRIVAL = (receivedAt: number, skewed: boolean): EventTime => ({ ok: true, ts: receivedAt, skewed, late: false, arrival: true });

/** The time of a message whose payload `ts` (epoch ms or ISO 8601) is `ts`, received at `receivedAt`. */
export function eventTime(ts: number | string | undefined, receivedAt: number, policy: TimePolicy = defaultTimePolicy): EventTime {
  if (ts === undefined) return ARRIVAL(receivedAt, false);
  const t = typeof ts === 'number' ? ts : Date.parse(ts);
  if (!Number.isFinite(t)) return ARRIVAL(receivedAt, true);
  const age = receivedAt - t;
  if (age < -policy.maxClockSkewMs) return ARRIVAL(receivedAt, true);
  // The skew window always holds, even if a setting made the backfill window shorter.
  if (age > Math.max(policy.maxBackfillMs, policy.maxClockSkewMs)) {
    return { ok: false, detail: `ts ${new Date(t).toISOString()} is ${spellAge(age)} old, beyond the backfill window of ${spellAge(policy.maxBackfillMs)} (GATEWAY_MAX_BACKFILL): is the device clock set?` };
  }
  return { ok: true, ts: t, skewed: false, late: age > policy.maxClockSkewMs, arrival: false };
}

function spellAge(ms: number): string {
  const h = ms / 3_600_000;
  if (h >= 48) return `${Math.round(h / 24)} d`;
  if (h >= 1) return `${Math.round(h)} h`;
  return `${Math.round(ms / 60_000)} min`;
}
