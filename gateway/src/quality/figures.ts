import { benchmarksFor } from './benchmarks.js';
import type { GroupDimension, QualityEvent, QualityFigures, QualityGroup, QualityOptions, QualityReport } from './schema.js';

// Alarm-quality figures as pure functions of the events of a period. An alarm is a raise;
// raises inside a maintenance window were never annunciated to anyone, so they count as
// `suppressed` and stay out of the load (rates, floods, chattering, top ten, shares).

const TEN_MIN = 600_000;
const DAY = 86_400_000;

/** Nearest-rank percentile of sorted numbers; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}

function durations(events: readonly QualityEvent[], end: (e: QualityEvent) => number | null) {
  const d = events.flatMap((e) => {
    const t = end(e);
    return t === null ? [] : [Math.max(0, t - e.raisedAt)];
  });
  d.sort((a, b) => a - b);
  return { count: d.length, medianMs: percentile(d, 0.5), p90Ms: percentile(d, 0.9) };
}

/** Keys with `count` raises within `windowMs`, and how many raises belong to such bursts. */
export function chattering(raises: readonly QualityEvent[], count: number, windowMs: number): { keys: string[]; raises: number } {
  const byKey = new Map<string, number[]>();
  for (const e of raises) {
    const list = byKey.get(e.key);
    if (list) list.push(e.raisedAt);
    else byKey.set(e.key, [e.raisedAt]);
  }
  const keys: string[] = [];
  let inBursts = 0;
  for (const [key, times] of byKey) {
    times.sort((a, b) => a - b);
    const member = new Array<boolean>(times.length).fill(false);
    for (let i = 0; i + count - 1 < times.length; i++) {
      if (times[i + count - 1]! - times[i]! <= windowMs) for (let j = i; j < i + count; j++) member[j] = true;
    }
    const n = member.filter(Boolean).length;
    if (n > 0) {
      keys.push(key);
      inBursts += n;
    }
  }
  keys.sort();
  return { keys, raises: inBursts };
}

/** Raises per 10-minute window, windows aligned to `from`. */
function windowCounts(raises: readonly QualityEvent[], from: number, windows: number): number[] {
  const counts = new Array<number>(windows).fill(0);
  for (const e of raises) counts[Math.min(windows - 1, Math.floor((e.raisedAt - from) / TEN_MIN))]!++;
  return counts;
}

interface Scope {
  opts: QualityOptions;
  windows: number;
  days: number;
  total: number;
}

/** The figures of one set of events (a group, or everything). */
function figuresOf(all: readonly QualityEvent[], s: Scope): QualityFigures & { chattering: string[] } {
  const { from, to } = s.opts;
  const inPeriod = all.filter((e) => e.raisedAt >= from && e.raisedAt < to);
  const raises = inPeriod.filter((e) => !e.suppressed);
  const counts = windowCounts(raises, from, s.windows);
  const flood = counts.filter((n) => n > s.opts.floodAbove).length;
  const chat = chattering(raises, s.opts.chatterCount, s.opts.chatterWindowMs);
  // Standing: annunciated and unresolved for longer than the limit at some time in the period
  // (events raised before the period that were still unresolved count too).
  const standing = all.filter((e) => {
    const end = Math.min(e.resolvedAt ?? to, to);
    return !e.suppressed && e.raisedAt < to && end >= from && end - e.raisedAt > s.opts.standingAfterMs;
  }).length;
  const disposed = raises.filter((e) => e.disposition !== null);
  const falseAlarms = disposed.filter((e) => e.disposition === 'false_alarm').length;
  return {
    raised: raises.length,
    perDay: raises.length / s.days,
    per10Min: raises.length / s.windows,
    peak10Min: Math.max(0, ...counts),
    floodWindows: flood,
    floodShare: flood / s.windows,
    chatteringKeys: chat.keys.length,
    chatteringRaises: chat.raises,
    chattering: chat.keys,
    standing,
    closed: disposed.length,
    falseAlarms,
    confirmed: disposed.filter((e) => e.disposition === 'confirmed_violation').length,
    falseAlarmShare: disposed.length === 0 ? null : falseAlarms / disposed.length,
    toAcknowledge: durations(raises, (e) => e.acknowledgedAt),
    toClose: durations(raises, (e) => e.closedAt),
    suppressed: inPeriod.length - raises.length,
    share: s.total === 0 ? 0 : raises.length / s.total,
  };
}

/** The local calendar day of a time, `YYYY-MM-DD`, at a fixed offset from UTC. */
export function localDay(t: number, utcOffsetMinutes: number): string {
  return new Date(t + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

function groupValue(e: QualityEvent, dim: GroupDimension, opts: QualityOptions): string {
  switch (dim) {
    case 'rule':
      return e.rule;
    case 'item':
      return e.item;
    case 'site':
      return e.site;
    case 'department':
      return opts.departmentOf?.(e.item) ?? '(none)';
    case 'day':
      // An event raised before the period (a standing one) belongs to the period's first day.
      return localDay(Math.max(e.raisedAt, opts.from), opts.utcOffsetMinutes);
  }
}

/** Worst offenders first: most raises, then most false alarms, then the longest standing. */
function worstFirst(a: QualityGroup, b: QualityGroup): number {
  return b.raised - a.raised || b.falseAlarms - a.falseAlarms || b.chatteringRaises - a.chatteringRaises || b.standing - a.standing || a.label.localeCompare(b.label);
}

/**
 * Alarm-quality figures for the events of [from, to) (plus events raised earlier and not yet
 * resolved at `from`, for standing alarms), grouped by `groupBy`, worst groups first.
 */
export function computeQuality(events: readonly QualityEvent[], opts: QualityOptions, limit = Infinity): QualityReport {
  if (!(opts.to > opts.from)) throw new RangeError('the period is empty: `to` must be after `from`');
  const windows = Math.ceil((opts.to - opts.from) / TEN_MIN);
  const days = (opts.to - opts.from) / DAY;
  const total = events.filter((e) => !e.suppressed && e.raisedAt >= opts.from && e.raisedAt < opts.to).length;
  const scope: Scope = { opts, windows, days, total };

  const groups = new Map<string, { group: Record<string, string>; events: QualityEvent[] }>();
  for (const e of events) {
    const group: Record<string, string> = {};
    for (const d of opts.groupBy) group[d] = groupValue(e, d, opts);
    const label = opts.groupBy.map((d) => group[d]).join(' / ');
    const g = groups.get(label);
    if (g) g.events.push(e);
    else groups.set(label, { group, events: [e] });
  }
  const list: QualityGroup[] = [...groups].map(([label, g]) => ({ ...figuresOf(g.events, scope), group: g.group, label }));
  list.sort(worstFirst);

  const all = figuresOf(events, scope);
  const byRule = new Map<string, number>();
  for (const e of events) if (!e.suppressed && e.raisedAt >= opts.from && e.raisedAt < opts.to) byRule.set(e.rule, (byRule.get(e.rule) ?? 0) + 1);
  const topTen = [...byRule].map(([rule, raised]) => ({ rule, raised })).sort((a, b) => b.raised - a.raised || a.rule.localeCompare(b.rule)).slice(0, 10);
  const topTenShare = total === 0 ? 0 : topTen.reduce((n, r) => n + r.raised, 0) / total;
  const { chattering: _keys, ...summary } = all;

  return {
    from: opts.from,
    to: opts.to,
    groupBy: opts.groupBy,
    settings: { chatterCount: opts.chatterCount, chatterWindowMs: opts.chatterWindowMs, standingAfterMs: opts.standingAfterMs, floodAbove: opts.floodAbove, utcOffsetMinutes: opts.utcOffsetMinutes },
    summary: { ...summary, topTen, topTenShare },
    benchmarks: benchmarksFor({ perDay: all.perDay, per10Min: all.per10Min, peak10Min: all.peak10Min, floodShare: all.floodShare, topTenShare, chatteringKeys: all.chatteringKeys, standing: all.standing }),
    groups: list.slice(0, limit),
    more: Math.max(0, list.length - limit),
  };
}
