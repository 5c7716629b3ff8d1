/*
 * Nanosecond offsets that keep points of one series apart within a millisecond.
 *
 * InfluxDB identifies a point by series and time: a second message of one device stamped
 * with the same millisecond (a burst without `ts`, or a device that repeats a `ts` with new
 * values) would silently replace the first. Each message of a series gets the offset of its
 * place among the distinct messages of that millisecond, in arrival order: 0, 1, 2...
 *
 * - A message that names its own time and repeats one already seen in that millisecond
 *   (same values and flags) gets the same offset: a re-sent buffer or a replay writes the
 *   identical point again, which InfluxDB stores once.
 * - A message timed by its arrival names no time of its own, so it is never taken for a
 *   repeat: 200 readings in one burst are 200 points.
 * - Nothing reads the clock: the same stream in the same order gives the same offsets.
 *
 * Memory is bounded: per series the last RECENT milliseconds are remembered, and per
 * millisecond the first MAX_PRINTS distinct messages (beyond that, messages still get
 * distinct offsets but a repeat is no longer recognised and becomes another point).
 * A millisecond forgotten and then seen again starts from offset 0 again: a replay of it
 * in the original order writes the same points; a lone new value for an old millisecond
 * after RECENT others could take offset 0 of an existing point (a device re-sending a
 * changed value for a time minutes behind its stream), which is the price of the bound.
 */
import { joinTelemetry, telemetryParts, type TelemetryReading } from './line-protocol.js';

/** Milliseconds remembered per series: enough for any burst, and for a re-sent message arriving right after. */
const RECENT = 16;
/** Distinct messages remembered per millisecond of a series. */
const MAX_PRINTS = 1024;
/** The largest offset: the six digits after the millisecond. */
const MAX_OFFSET = 999_999;

interface Slot {
  ms: number;
  /** Offsets handed out in this millisecond. */
  used: number;
  /** What each offset's message said, for messages with their own time; null for arrival-timed ones. */
  prints: (string | null)[];
}

export interface PointTimes {
  /**
   * The offset for a message of `series` at `ms`. `print` is what the message said when it
   * names its own time (repeats share an offset), null when it was timed by its arrival.
   */
  offset(series: string, ms: number, print: string | null): number;
}

export function createPointTimes(): PointTimes {
  const bySeries = new Map<string, Slot[]>();
  return {
    offset(series, ms, print) {
      let slots = bySeries.get(series);
      if (slots === undefined) bySeries.set(series, (slots = []));
      let slot: Slot | undefined;
      for (let i = slots.length - 1; i >= 0; i--) {
        if (slots[i]!.ms === ms) {
          slot = slots[i];
          break;
        }
      }
      if (slot === undefined) {
        slots.push({ ms, used: 1, prints: [print] });
        if (slots.length > RECENT) slots.shift();
        return 0;
      }
      if (print !== null) {
        const seen = slot.prints.indexOf(print);
        if (seen >= 0) return seen;
      }
      const offset = Math.min(slot.used, MAX_OFFSET);
      slot.used++;
      if (slot.prints.length < MAX_PRINTS && slot.prints.length === offset) slot.prints.push(print);
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
