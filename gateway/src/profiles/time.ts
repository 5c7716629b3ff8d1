// Vendor time fields to epoch milliseconds. Local wall-clock times are read in a named IANA
// zone (default Asia/Shanghai) with Intl, so no time-zone table ships with the gateway.

export { isTimeZone } from '../domain/index.js';

export const TIME_FORMATS = ['epoch_s', 'epoch_ms', 'iso8601', 'local'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

const formatters = new Map<string, Intl.DateTimeFormat>();

// Offsets change only at transitions, which fall on quarter hours: one Intl call per zone and
// quarter hour instead of one per message (formatToParts is the costly part). Bounded.
const offsets = new Map<string, number>();
const QUARTER_HOUR = 900_000;

/** The zone's offset from UTC at instant `t`, in ms (Asia/Shanghai: +8 h). */
function offsetAt(t: number, zone: string): number {
  const key = `${zone}|${Math.floor(t / QUARTER_HOUR)}`;
  let o = offsets.get(key);
  if (o === undefined) {
    o = computeOffset(Math.floor(t / QUARTER_HOUR) * QUARTER_HOUR, zone);
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(key, o);
  }
  return o;
}

function computeOffset(t: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** A wall-clock time in `zone` to epoch ms; twice around a DST change, the second offset wins. */
export function zonedToEpoch(parts: [number, number, number, number, number, number, number], zone: string): number {
  const [y, mo, d, h, mi, s, ms] = parts;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const first = wall - offsetAt(wall, zone);
  const second = wall - offsetAt(first, zone);
  return second;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;
const ISO_OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i;
const NUMERIC = /^\s*-?\d+(?:\.\d+)?\s*$/;

/** Epoch ms, or a reason the value is not a time of that format. */
export function parseTime(value: unknown, format: TimeFormat, zone: string): number | string {
  if (format === 'epoch_s' || format === 'epoch_ms') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && NUMERIC.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(n) || n <= 0) return `${JSON.stringify(value)} is not an epoch ${format === 'epoch_s' ? 'in seconds' : 'in milliseconds'}`;
    return Math.round(format === 'epoch_s' ? n * 1000 : n);
  }
  if (typeof value !== 'string') return `${JSON.stringify(value)} is not a time string`;
  const text = value.trim();
  if (format === 'iso8601' && ISO_OFFSET.test(text)) {
    const t = Date.parse(text);
    return Number.isFinite(t) ? t : `"${text.slice(0, 40)}" is not an ISO 8601 time`;
  }
  // `local`, and ISO 8601 without an offset: a wall-clock time in the profile's zone.
  const m = LOCAL.exec(text);
  if (!m) return `"${text.slice(0, 40)}" is not ${format === 'local' ? 'YYYY-MM-DD HH:mm:ss' : 'an ISO 8601 time'}`;
  const n = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const [y, mo, d, h, mi, s] = n;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return `"${text}" is not a valid date and time`;
  return zonedToEpoch([y, mo, d, h, mi, s, ms], zone);
}
