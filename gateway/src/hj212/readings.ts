// From a decoded CP to metric values: names, data kind (interval) and validity.
import { to2017 } from './codes.js';
import type { Cp } from './cp.js';

export const INTERVALS = ['rt', 'min', 'hour', 'day'] as const;
export type Interval = (typeof INTERVALS)[number];

/** CN -> data kind; stored as tag `interval` and matched by rules (`match.interval`). */
export const INTERVAL_BY_CN: Readonly<Record<string, Interval>> = Object.freeze({
  '2011': 'rt',
  '2051': 'min',
  '2061': 'hour',
  '2031': 'day',
  // Equipment status (2021) is a real-time reading; daily running time (2041) is a daily figure.
  '2021': 'rt',
  '2041': 'day',
});

/** CNs that are heartbeats: they count as "seen" and carry no readings. */
export const HEARTBEAT_CNS: ReadonlySet<string> = new Set(['9015', '8013', '9013', '9014']);

// N (normal) and S (manually entered) are valid; F, M, D, C, T, B are not (DOMAIN.md 1.5).
// A value sent without a flag is taken as valid; an unknown flag letter is taken as invalid.
const VALID_FLAGS = new Set(['N', 'S']);
export function flagIsValid(flag: string | undefined): boolean {
  return flag === undefined || VALID_FLAGS.has(flag);
}

const SUFFIX_METRIC: Readonly<Record<string, string>> = Object.freeze({
  Rtd: '',
  Avg: '_avg',
  Min: '_min',
  Max: '_max',
  Cou: '_cou',
  ZsRtd: '_zs',
  ZsAvg: '_zs_avg',
  ZsMin: '_zs_min',
  ZsMax: '_zs_max',
});

/** Codes that are not a valid metric name on their own (`99`, `100000`) get this prefix. */
export const METRIC_CODE_PREFIX = 'c_';

/**
 * `w01018-Rtd` -> `w01018`, `w01018-Avg` -> `w01018_avg`, `011-ZsRtd` -> `w01018_zs`; an unknown
 * suffix becomes `_<suffix in lower case>`. Undefined when the result is too long to be a metric.
 */
export function metricName(code: string, suffix: string): string | undefined {
  let base = to2017(code).toLowerCase();
  if (!/^[a-z][a-z0-9_]*$/.test(base)) base = METRIC_CODE_PREFIX + base.replace(/[^a-z0-9_]/g, '_');
  const tail = SUFFIX_METRIC[suffix] ?? `_${suffix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  const name = base + tail;
  return name.length <= 64 ? name : undefined;
}

export interface Hj212Value {
  metric: string;
  /** The code as sent and its 2017 equivalent. */
  code: string;
  code2017: string;
  suffix: string;
  value: number;
  flag?: string;
  valid: boolean;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Every numeric value field of a CP; text values of value fields are skipped (kept in the raw frame). */
export function valuesOf(cp: Cp): Hj212Value[] {
  const out: Hj212Value[] = [];
  const seen = new Set<string>();
  for (const group of cp.groups.values()) {
    for (const v of group.values) {
      if (!NUMBER.test(v.text)) continue;
      const value = Number(v.text);
      const metric = metricName(group.code, v.suffix);
      // The same metric twice in one frame (a code sent under both its 2005 and 2017 name): first wins.
      if (!Number.isFinite(value) || metric === undefined || seen.has(metric)) continue;
      seen.add(metric);
      const r: Hj212Value = { metric, code: group.code, code2017: to2017(group.code), suffix: v.suffix, value, valid: flagIsValid(v.flag) };
      if (v.flag !== undefined) r.flag = v.flag;
      out.push(r);
    }
  }
  return out;
}
