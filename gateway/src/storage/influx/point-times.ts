/*
 * Nanosecond offsets that keep points of one series apart within a millisecond.
 *
 * InfluxDB identifies a point by series and time: a second message of one device stamped
 * with the same millisecond (a burst without `ts`, or a device that repeats a `ts` with new
 * values) would silently replace the first. So each message gets an offset of 0..999,999 ns:
 *
 * - A message that names its own time is placed by what it says (values and flags, not the
 *   late/skewed marks): offset = hash(print) mod 10^6. A repeat of it, now or after any
 *   number of restarts, lands on the same point, which InfluxDB stores once; a replay writes
 *   identical points whatever the gateway remembers. Two different messages of one
 *   millisecond that hash alike are told apart while that millisecond is remembered (the
 *   later one takes the next free offset, as it would again in a replay of the same order).
 * - A message timed by its arrival names no time of its own, so it is never taken for a
 *   repeat: it takes the lowest free offset from 0 up, so 200 readings in one burst are 200
 *   points (arrival times only grow, so the current millisecond is always remembered).
 * - Nothing reads the clock or randomness: the same stream in the same order gives the same lines.
 *
 * Memory is bounded: per series the last RECENT milliseconds, per millisecond the first
 * MAX_PRINTS messages. Beyond those a message still gets an offset (arrival-timed: the next
 * one; device-timed: its hash place), and the only risk is two different device-timed
 * messages of a forgotten millisecond hashing alike: about one in 10^6 per pair.
 */
import { joinTelemetry, telemetryParts, type TelemetryReading } from './line-protocol.js';

/** Milliseconds remembered per series: enough for any burst, and for a re-sent message arriving right after. */
const RECENT = 8;
/** Messages remembered per millisecond of a series. */
const MAX_PRINTS = 1024;
/** Offsets per millisecond: the six digits after it. */
const SPAN = 1_000_000;

interface Slot {
  ms: number;
  /** Offsets handed out in this millisecond, with what each message said (null: arrival-timed). */
  offsets: number[];
  prints: (string | null)[];
  /** Where the next arrival-timed message starts looking. */
  next: number;
}

export interface PointTimes {
  /**
   * The offset for a message of `series` at `ms`. `print` is what the message said when it
   * names its own time (repeats share an offset), null when it was timed by its arrival.
   */
  offset(series: string, ms: number, print: string | null): number;
}

/** FNV-1a, 32 bit: cheap, stable across versions and platforms, spread well enough for placing. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createPointTimes(): PointTimes {
  const bySeries = new Map<string, Slot[]>();

  function slotOf(series: string, ms: number): Slot {
    let slots = bySeries.get(series);
    if (slots === undefined) bySeries.set(series, (slots = []));
    for (let i = slots.length - 1; i >= 0; i--) if (slots[i]!.ms === ms) return slots[i]!;
    const slot: Slot = { ms, offsets: [], prints: [], next: 0 };
    slots.push(slot);
    if (slots.length > RECENT) slots.shift();
    return slot;
  }

  return {
    offset(series, ms, print) {
      const slot = slotOf(series, ms);
      let offset = print === null ? slot.next : hash(print) % SPAN;
      for (let probes = 0; probes < SPAN; probes++) {
        const at = slot.offsets.indexOf(offset);
        if (at < 0) break;
        if (print !== null && slot.prints[at] === print) return offset; // the same message again
        offset = (offset + 1) % SPAN;
      }
      if (print === null) slot.next = (offset + 1) % SPAN;
      if (slot.offsets.length < MAX_PRINTS) {
        slot.offsets.push(offset);
        slot.prints.push(print);
      }
      return offset;
    },
  };
}

/**
 * Telemetry lines with their offsets: one builder per outbox, fed every message in the
 * order the gateway accepted them.
 */
export function createTelemetryLines(times: PointTimes = createPointTimes()): (readings: readonly TelemetryReading[]) => string {
  return (readings) => {
    const parts = telemetryParts(readings);
    return joinTelemetry(parts, times.offset(parts.series, parts.ts, parts.arrival ? null : parts.data));
  };
}
