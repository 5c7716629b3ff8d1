/*
 * InfluxDB schema of the gateway, written as line protocol built from template strings
 * (PERFORMANCE.md: ~2 us a line against ~3.5 us for the client's Point).
 *
 * Every timestamp is written with nanosecond precision (the line-protocol default, so a
 * line means the same thing whatever tool posts it): the millisecond event time followed
 * by six digits. Nothing here reads the clock, so replaying the same input writes the same
 * points, which InfluxDB stores once (same series + same time = same point).
 *
 *   telemetry,site=<site>,device=<device>,sector=<sector> <metric>=<float>[,...][,flags="<metric>:<flag> ..."][,skewed=true][,late=true] <ts>
 *     One line per message: the readings of one message share (site, device, sector, ts)
 *     and become the fields of one point; the field key is the metric name.
 *     Invalid values (HJ 212 data flag other than N/S) are stored under their metric like
 *     any other; the string field `flags` lists them, space separated, as `<metric>:<flag>`
 *     (the reading's `flag` when it carries one, else `invalid`), and is absent when all
 *     values are valid. `skewed=true` (boolean) marks a message whose own `ts` lay too far in
 *     the future, so that the arrival time was used; `late=true` one stored at its own time
 *     older than the skew window (buffered data re-sent); each is absent otherwise.
 *     Quality never goes into a tag: a tag would split one metric into several series.
 *     The time is the ms event time plus a nanosecond offset (point-times.ts): 0 for the
 *     first message of a series in a millisecond, 1, 2... for further ones, so a burst in one
 *     millisecond keeps every message; a repeat of a device-timed message keeps its offset.
 *
 *   detection,site=<site>,device=<device>,camera=<camera>,type=<type> confidence=<float>[,snapshot="<ref>"] <ts>
 *     One line per detection. Two detections with the same camera, type and ms in one
 *     batch would be the same point; the n-th such duplicate (in input order) is written
 *     n nanoseconds later, so both are kept and a replay writes the identical points again.
 *
 *   event,site=<site>,device=<device>,rule=<rule>,item=<item>,severity=<severity>,transition=<transition>
 *       event_id="<id>",value=<float>[,threshold=<float>],message="<text>",raised_at=<ms>i,detected_at=<ms>i[,late=true] <at>
 *     One line per event transition; `threshold` is absent when the rule has none. `raised_at`
 *     is the event's raise time (event time of its readings), `detected_at` the gateway clock
 *     when this transition was recorded; `late=true` marks an event raised from late data.
 *
 * Escaping (InfluxDB line protocol reference, checked against influxd 1.6.7):
 *   measurement: `,` and space;  tag keys, tag values, field keys: `,`, `=` and space;
 *   string field values: `"` and `\`.
 *   Newline and carriage return are written as the two characters `\n` / `\r` everywhere,
 *   so a built line is always one physical line (batches and the outbox split on "\n").
 *   A backslash in a measurement, tag key, tag value or field key is written as `/`:
 *   1.x's scanners disagree on a backslash before a separator or at the end (the line is
 *   rejected or split wrongly), and ids never hold one (ID_PATTERN) anyway.
 *   Empty tag values are left out (InfluxDB has no empty tag); non-finite numbers cannot be
 *   stored, so such a value is left out and listed in `flags` as `<metric>:nonfinite`; a
 *   metric named `flags` or `skewed` would clash with those fields and is listed as
 *   `<metric>:reserved` instead of stored.
 */
import type { Detection, Reading, Severity } from '../../domain/index.js';

/** Timestamps of built lines are nanoseconds: the writer must post them with this precision. */
export const LINE_PRECISION = 'ns' as const;

export const MEASUREMENT = { telemetry: 'telemetry', detection: 'detection', event: 'event' } as const;

const NAME_SPECIALS = /[,= \n\r\\]/;
const MEASUREMENT_SPECIALS = /[, \n\r\\]/;
const STRING_SPECIALS = /["\\\n\r]/;

function escapeChar(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\\') return '/';
  return `\\${c}`;
}

/** Escapes a tag key, tag value or field key. */
export function escapeName(s: string): string {
  // Fast path: ids and metric names never need escaping (ID_PATTERN, METRIC_PATTERN).
  if (!NAME_SPECIALS.test(s)) return s;
  return s.replace(/[,= \n\r\\]/g, escapeChar);
}

/** Escapes a measurement name (`=` is allowed there unescaped). */
export function escapeMeasurement(s: string): string {
  if (!MEASUREMENT_SPECIALS.test(s)) return s;
  return s.replace(/[, \n\r\\]/g, escapeChar);
}

/** Quotes a string field value. */
export function quoteString(s: string): string {
  if (!STRING_SPECIALS.test(s)) return `"${s}"`;
  return `"${s.replace(/["\\\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`))}"`;
}

/** A float field value: finite numbers only (the caller checks); `1` is a float in line protocol. */
function float(n: number): string {
  return String(n);
}

/** `,key=value` for one tag, or '' for an empty value (line protocol has no empty tags). */
function tag(key: string, value: string): string {
  return value === '' ? '' : `,${key}=${escapeName(value)}`;
}

/** Nanosecond timestamp of a ms time plus an offset of 0..999,999 ns, exact without BigInt. */
export function nanos(ms: number, offsetNs = 0): string {
  const whole = Math.trunc(ms);
  if (offsetNs === 0) return `${whole}000000`;
  return `${whole}${String(offsetNs).padStart(6, '0')}`;
}

// Field keys of the telemetry line itself; a metric with one of these names would clash.
const RESERVED_FIELDS = new Set(['flags', 'skewed', 'late']);

/** A telemetry reading as the line builder needs it; `flag` is the HJ 212 data flag when known. */
export type TelemetryReading = Pick<Reading, 'site' | 'device' | 'sector' | 'metric' | 'value' | 'ts' | 'skewed' | 'valid' | 'late' | 'arrival'> & {
  flag?: string;
  /** HJ 212 data kind, stored as tag `interval` (absent for sources without one). */
  interval?: Reading['interval'];
};

/** The parts of a telemetry line: `data` is what the message said (values and flags), `marks` how its time was taken. */
export interface TelemetryParts {
  series: string;
  data: string;
  marks: string;
  ts: number;
  /** The time is the arrival time: the message names no time of its own to be repeated. */
  arrival: boolean;
}

/**
 * The one line of a telemetry message. All readings must share site, device, sector and ts
 * (ingest decodes one message into such a group); anything else is a programming error.
 * `offsetNs` (0..999,999) keeps messages of one series and millisecond apart (point-times.ts).
 */
export function telemetryLine(readings: readonly TelemetryReading[], offsetNs = 0): string {
  return joinTelemetry(telemetryParts(readings), offsetNs);
}

/** A line from its parts and a nanosecond offset. */
export function joinTelemetry(p: TelemetryParts, offsetNs: number): string {
  return `${p.series} ${p.data}${p.marks} ${nanos(p.ts, offsetNs)}`;
}

export function telemetryParts(readings: readonly TelemetryReading[]): TelemetryParts {
  const first = readings[0];
  if (first === undefined) throw new RangeError('telemetryLine: no readings');
  let fields = '';
  let flags = '';
  let skewed = false;
  let late = false;
  let arrival = false;
  for (const r of readings) {
    if (r.site !== first.site || r.device !== first.device || r.sector !== first.sector || r.ts !== first.ts || r.interval !== first.interval) {
      throw new RangeError('telemetryLine: readings of one line must share site, device, sector, interval and ts');
    }
    if (r.skewed) skewed = arrival = true;
    if (r.arrival) arrival = true;
    if (r.late) late = true;
    if (!Number.isFinite(r.value) || RESERVED_FIELDS.has(r.metric)) {
      flags += `${flags === '' ? '' : ' '}${r.metric}:${RESERVED_FIELDS.has(r.metric) ? 'reserved' : 'nonfinite'}`;
      continue;
    }
    fields += `${fields === '' ? '' : ','}${escapeName(r.metric)}=${float(r.value)}`;
    if (!r.valid) flags += `${flags === '' ? '' : ' '}${r.metric}:${r.flag ?? 'invalid'}`;
  }
  if (flags !== '') fields += `${fields === '' ? '' : ','}flags=${quoteString(flags)}`;
  return {
    series: `${MEASUREMENT.telemetry}${tag('site', first.site)}${tag('device', first.device)}${tag('sector', first.sector)}${first.interval ? tag('interval', first.interval) : ''}`,
    data: fields,
    marks: (skewed ? ',skewed=true' : '') + (late ? ',late=true' : ''),
    ts: first.ts,
    arrival,
  };
}

/** Telemetry lines for readings of any number of messages, one line per (site, device, sector, ts). */
export function telemetryLines(readings: readonly TelemetryReading[]): string[] {
  const groups = new Map<string, TelemetryReading[]>();
  for (const r of readings) {
    const key = `${r.site}\u0000${r.device}\u0000${r.sector}\u0000${r.ts}\u0000${r.interval ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const lines: string[] = [];
  for (const group of groups.values()) lines.push(telemetryLine(group));
  return lines;
}

export type DetectionInput = Pick<Detection, 'site' | 'device' | 'camera' | 'type' | 'confidence' | 'snapshot' | 'picture' | 'ts'>;

/** One line per detection; same camera + type + ms in one call get 1 ns, 2 ns... offsets. */
export function detectionLines(detections: readonly DetectionInput[]): string[] {
  const seen = new Map<string, number>();
  const lines: string[] = [];
  for (const d of detections) {
    const key = `${d.site}\u0000${d.device}\u0000${d.camera}\u0000${d.type}\u0000${d.ts}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    let fields = Number.isFinite(d.confidence) ? `confidence=${float(d.confidence)}` : '';
    if (d.snapshot !== undefined) fields += `${fields === '' ? '' : ','}snapshot=${quoteString(d.snapshot)}`;
    if (d.picture !== undefined) fields += `${fields === '' ? '' : ','}picture=${quoteString(d.picture)}`;
    if (fields === '') continue; // nothing storable (validated detections always have a confidence)
    lines.push(
      `${MEASUREMENT.detection}${tag('site', d.site)}${tag('device', d.device)}${tag('camera', d.camera)}${tag('type', d.type)}` +
        ` ${fields} ${nanos(d.ts, n)}`,
    );
  }
  return lines;
}

export interface EventLineInput {
  eventId: string;
  site: string;
  device: string;
  rule: string;
  item: string;
  severity: Severity;
  transition: string;
  value: number;
  threshold: number | null;
  message: string;
  /** ms since epoch */
  at: number;
  /** The event's raise time (event time, ms). */
  raisedAt: number;
  /** The gateway clock when this transition was recorded (ms). */
  detectedAt: number;
  /** The event was raised from late data. */
  late: boolean;
}

/** One line per event transition. */
export function eventLine(e: EventLineInput): string {
  let fields = `event_id=${quoteString(e.eventId)}`;
  if (Number.isFinite(e.value)) fields += `,value=${float(e.value)}`;
  if (e.threshold !== null && Number.isFinite(e.threshold)) fields += `,threshold=${float(e.threshold)}`;
  fields += `,message=${quoteString(e.message)},raised_at=${Math.trunc(e.raisedAt)}i,detected_at=${Math.trunc(e.detectedAt)}i`;
  if (e.late) fields += ',late=true';
  return (
    `${MEASUREMENT.event}${tag('site', e.site)}${tag('device', e.device)}${tag('rule', e.rule)}${tag('item', e.item)}` +
    `${tag('severity', e.severity)}${tag('transition', e.transition)} ${fields} ${nanos(e.at)}`
  );
}
