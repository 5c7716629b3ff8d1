// DataTime and QN carry local time without a zone: they are read in a configured IANA zone.

export { isTimeZone } from '../domain/index.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  return f;
}

/** Offset of the zone from UTC at an instant, in ms. */
function offsetAt(zone: string, at: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(at))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * `YYYYMMDDhhmmss` or `YYYYMMDDhhmmsszzz` as local time in `zone`, to ms since the epoch;
 * undefined when it is not a real date and time.
 */
export function parseLocalTime(text: string, zone: string): number | undefined {
  if (!/^\d{14}(\d{3})?$/.test(text)) return undefined;
  const n = (a: number, b: number) => Number(text.slice(a, b));
  const [y, mo, d, h, mi, s] = [n(0, 4), n(4, 6), n(6, 8), n(8, 10), n(10, 12), n(12, 14)];
  const ms = text.length === 17 ? n(14, 17) : 0;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  // Two passes settle instants near a DST change; zones without DST (Asia/Shanghai) need one.
  let at = wall - offsetAt(zone, wall);
  at = wall - offsetAt(zone, at);
  return at;
}

/** An instant as `YYYYMMDDhhmmss` (or with `zzz` when `millis`) in `zone`. */
export function formatLocalTime(at: number, zone: string, millis = false): string {
  const local = new Date(at + offsetAt(zone, at));
  const p = (v: number, w = 2) => String(v).padStart(w, '0');
  const base = `${p(local.getUTCFullYear(), 4)}${p(local.getUTCMonth() + 1)}${p(local.getUTCDate())}${p(local.getUTCHours())}${p(local.getUTCMinutes())}${p(local.getUTCSeconds())}`;
  return millis ? base + p(((at % 1000) + 1000) % 1000, 3) : base;
}
