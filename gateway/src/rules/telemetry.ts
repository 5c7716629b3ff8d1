import { encodeEventKey, severityRank, type Reading, type Severity } from '../domain/index.js';
import { boundOf, clearBoundOf, firstLevel, holds } from './compare.js';
import { telemetryCandidates, type CompiledLevelRule, type CompiledFlatlineRule, type CompiledRules, type FlatlineParams, type LevelParams } from './compile.js';
import { fmt, formatDuration, unitOf, where } from './message.js';
import { ruleKeyState, seriesFor, type DeviceState, type FlatRun, type RuleKeyState, type SeriesState, type WindowBuffer } from './state.js';
import type { RuleTransition } from './types.js';

// threshold, rate, window and flatline: the kinds that compare telemetry readings.

function transition(
  type: RuleTransition['type'],
  rule: CompiledLevelRule | CompiledFlatlineRule,
  reading: Reading,
  severity: Severity,
  value: number,
  threshold: number | null,
  message: string,
): RuleTransition {
  return {
    type,
    key: encodeEventKey({ rule: rule.id, site: reading.site, device: reading.device }),
    rule: rule.id,
    ruleVersion: rule.version,
    item: rule.item,
    title: rule.title,
    site: reading.site,
    device: reading.device,
    sector: reading.sector,
    metric: reading.metric,
    severity,
    value,
    threshold,
    at: reading.ts,
    message,
    // The HJ 212 frame behind the deciding reading, by its SHA-256 (measurement hj212_frame).
    ...(reading.frame !== undefined && type !== 'resolved' ? { evidence: [{ ts: reading.ts, confidence: 1, frame: reading.frame }] } : {}),
  };
}

/** What a level rule compares, spelled for messages: "gas_lel 55 %LEL", "pm10 avg over 15m 160 ug/m3". */
function subject(rule: CompiledLevelRule, metric: string, value: number): string {
  const unit = unitOf(metric);
  if (rule.kind === 'rate') return `${metric} change ${fmt(value)}${unit} per ${formatDuration(rule.perMs)}`;
  if (rule.kind === 'window') {
    const u = rule.aggregate === 'count' ? '' : unit;
    return `${metric} ${rule.aggregate} over ${formatDuration(rule.windowMs)} ${fmt(value)}${u}`;
  }
  return `${metric} ${fmt(value)}${unit}`;
}

/** What one level step decided: nothing, or the transition to emit (the level that holds, or the clear bound). */
type LevelStep = null | { type: 'raised' | 'escalated'; level: number } | { type: 'resolved'; severity: Severity };

/**
 * The level state machine shared by threshold, rate and window (RULES.md, "Time and order"
 * and "Events"), the one function that moves a key between phases: `for` counts from the
 * first reading of an unbroken run in which a level holds (pending); an open event (firing)
 * escalates at once when a more severe level holds and never falls; it resolves when the
 * clear condition has held for `clearFor` (clearing). The clear condition only counts while
 * no level holds, so a misconfigured clear cannot resolve a live violation.
 */
export function nextLevels(st: RuleKeyState, p: LevelParams, x: number, ts: number): LevelStep {
  const li = firstLevel(p.levels, x);
  switch (st.phase) {
    case 'idle':
    case 'pending': {
      if (li < 0) {
        st.phase = 'idle';
        st.runStart = NaN;
        return null;
      }
      if (st.phase === 'idle') {
        st.phase = 'pending';
        st.runStart = ts;
      }
      if (ts - st.runStart < p.forMs) return null;
      const level = p.levels[li]!;
      st.phase = 'firing';
      st.open = { severity: level.severity, rank: level.rank, raisedAt: ts };
      st.clearStart = NaN;
      return { type: 'raised', level: li };
    }
    case 'firing':
    case 'clearing': {
      const open = st.open!;
      if (li >= 0 || (p.clear !== null && !holds(p.clear, x))) {
        // A level holds, or inside the hysteresis band: neither violating anew nor clear.
        st.phase = 'firing';
        st.clearStart = NaN;
        const level = li >= 0 ? p.levels[li]! : null;
        if (level === null || level.rank <= open.rank) return null;
        open.severity = level.severity;
        open.rank = level.rank;
        return { type: 'escalated', level: li };
      }
      if (st.phase === 'firing') {
        st.phase = 'clearing';
        st.clearStart = ts;
      }
      if (ts - st.clearStart < p.clearForMs) return null;
      st.phase = 'idle';
      st.open = null;
      st.runStart = NaN;
      st.clearStart = NaN;
      return { type: 'resolved', severity: open.severity };
    }
  }
}

/** Steps a level rule's key and spells the transition it decided, if any. */
function evaluateLevels(rule: CompiledLevelRule, p: LevelParams, st: RuleKeyState, reading: Reading, x: number, out: RuleTransition[]): void {
  const step = nextLevels(st, p, x, reading.ts);
  if (step === null) return;
  const at = where(reading.site, reading.device);
  if (step.type === 'resolved') {
    const b = p.clear ? clearBoundOf(p.clear, x) : null;
    const why = b ? `${b.op} ${fmt(b.bound)}` : 'below every level';
    out.push(transition('resolved', rule, reading, step.severity, x, b ? b.bound : null, `${subject(rule, reading.metric, x)} ${why}: cleared at ${at}`));
    return;
  }
  const level = p.levels[step.level]!;
  const b = boundOf(level, x);
  out.push(transition(step.type, rule, reading, level.severity, x, b ? b.bound : null, `${subject(rule, reading.metric, x)} ${b ? `${b.op} ${fmt(b.bound)} ` : ''}(${level.severity}) at ${at}`));
}

function windowBuffer(st: RuleKeyState, metric: string): WindowBuffer {
  const aux = (st.aux ??= new Map());
  let buf = aux.get(metric) as WindowBuffer | undefined;
  if (buf === undefined) aux.set(metric, (buf = { ts: [], v: [], c: [], mn: [], mx: [], head: 0, sum: 0, count: 0 }));
  return buf;
}

/** Buckets per window: the bound on a window's memory, and its resolution when readings are dense. */
const WINDOW_BUCKETS = 600;

/**
 * Adds the reading and returns the aggregate over (ts - window, ts]: a reading exactly
 * `window` old is out, so a 15m window holds 15 readings taken once a minute. Readings
 * closer together than window/600 share a bucket, which leaves when its newest reading does.
 */
function aggregate(rule: CompiledLevelRule, buf: WindowBuffer, ts: number, v: number): number {
  const width = Math.max(1, rule.windowMs / WINDOW_BUCKETS);
  const last = buf.ts.length - 1;
  if (last >= buf.head && Math.floor(buf.ts[last]! / width) === Math.floor(ts / width)) {
    buf.ts[last] = Math.max(buf.ts[last]!, ts);
    buf.v[last]! += v;
    buf.c[last]! += 1;
    if (v < buf.mn[last]!) buf.mn[last] = v;
    if (v > buf.mx[last]!) buf.mx[last] = v;
  } else {
    buf.ts.push(ts);
    buf.v.push(v);
    buf.c.push(1);
    buf.mn.push(v);
    buf.mx.push(v);
  }
  buf.sum += v;
  buf.count += 1;
  const oldest = ts - rule.windowMs;
  while (buf.ts[buf.head]! <= oldest) {
    buf.sum -= buf.v[buf.head]!;
    buf.count -= buf.c[buf.head]!;
    buf.head++;
  }
  // Compact in place once half the arrays are spent, so a long stream stays bounded.
  if (buf.head >= 8 && buf.head * 2 >= buf.ts.length) {
    const n = buf.ts.length - buf.head;
    for (const a of [buf.ts, buf.v, buf.c, buf.mn, buf.mx]) {
      a.copyWithin(0, buf.head);
      a.length = n;
    }
    buf.head = 0;
    // Recomputing here keeps the running sum from drifting.
    buf.sum = buf.v.reduce((a, b) => a + b, 0);
    buf.count = buf.c.reduce((a, b) => a + b, 0);
  }
  switch (rule.aggregate) {
    case 'sum':
      return buf.sum;
    case 'count':
      return buf.count;
    case 'max': {
      let m = -Infinity;
      for (let i = buf.head; i < buf.mx.length; i++) if (buf.mx[i]! > m) m = buf.mx[i]!;
      return m;
    }
    case 'min': {
      let m = Infinity;
      for (let i = buf.head; i < buf.mn.length; i++) if (buf.mn[i]! < m) m = buf.mn[i]!;
      return m;
    }
    default:
      return buf.sum / buf.count;
  }
}

function evaluateFlatline(rule: CompiledFlatlineRule, p: FlatlineParams, st: RuleKeyState, reading: Reading, out: RuleTransition[]): void {
  const ts = reading.ts;
  const v = reading.value;
  const aux = (st.aux ??= new Map());
  let run = aux.get(reading.metric) as FlatRun | undefined;
  if (run === undefined || run.start !== run.start) {
    run = { start: ts, min: v, max: v };
    aux.set(reading.metric, run);
  } else {
    const min = v < run.min ? v : run.min;
    const max = v > run.max ? v : run.max;
    if (max - min < p.tolerance) {
      run.min = min;
      run.max = max;
    } else {
      // It moved: the stuck run is over and a new one starts at this reading.
      const moved = max - min;
      run.start = ts;
      run.min = v;
      run.max = v;
      if (st.phase === 'firing') {
        const severity = st.open!.severity;
        st.phase = 'idle';
        st.open = null;
        const unit = unitOf(reading.metric);
        out.push(transition('resolved', rule, reading, severity, moved, p.tolerance, `${reading.metric} moves again (${fmt(moved)}${unit} >= ${fmt(p.tolerance)}): cleared at ${where(reading.site, reading.device)}`));
      }
    }
  }
  if (st.phase === 'idle' && ts - run.start >= p.forMs) {
    const moved = run.max - run.min;
    st.phase = 'firing';
    st.open = { severity: p.severity, rank: severityRank(p.severity), raisedAt: ts };
    const unit = unitOf(reading.metric);
    out.push(
      transition(
        'raised',
        rule,
        reading,
        p.severity,
        moved,
        p.tolerance,
        `${reading.metric} stuck at ${fmt(v)}${unit}: moved ${fmt(moved)} < ${fmt(p.tolerance)} in ${formatDuration(ts - run.start)} (${p.severity}) at ${where(reading.site, reading.device)}`,
      ),
    );
  }
}

function lazy(rule: CompiledLevelRule | CompiledFlatlineRule): boolean {
  return (rule.kind === 'threshold' || rule.kind === 'rate') && rule.metrics.length === 1;
}

/** Points a series at the rules it meets under `rules`, with their event-key states. */
function bind(rules: CompiledRules, dev: DeviceState, series: SeriesState, reading: Reading): void {
  const shared = telemetryCandidates(rules, reading, reading.metric);
  series.rules = rules;
  series.shared = shared;
  // A rule over several metrics shares one key state between their series: create it now.
  // Single-metric threshold and rate rules create theirs when a level first holds.
  series.states = shared.list.map((r) => dev.rules.get(r.id) ?? (lazy(r) ? null : ruleKeyState(dev, r)));
}

/** Evaluates one reading against the telemetry rules that can match it. */
export function stepReading(rules: CompiledRules, dev: DeviceState, reading: Reading, out: RuleTransition[]): void {
  // Flagged values (fault, maintenance, calibration) are stored, never compared (DOMAIN.md 1.5).
  if (!reading.valid) return;
  // Minute, hourly and daily values of a metric are series of their own (they interleave in time).
  const seriesKey = reading.interval === undefined || reading.interval === 'rt' ? reading.metric : `${reading.metric}@${reading.interval}`;
  const series = seriesFor(dev, seriesKey);
  const ts = reading.ts;
  // RULES.md: a reading older than the last evaluated one of the same device and metric is not evaluated.
  if (ts < series.lastTs) return;
  series.lastTs = ts;
  if (series.rules !== rules) bind(rules, dev, series, reading);
  const { list, params } = series.shared!;
  const states = series.states;
  for (let i = 0; i < list.length; i++) {
    const rule = list[i]!;
    let st = states[i]!;
    switch (rule.kind) {
      case 'threshold':
      case 'rate': {
        let x = reading.value;
        if (rule.kind === 'rate') {
          const dt = ts - series.prevTs;
          // The first reading, or two at the same instant, give no rate: nothing to compare.
          if (!(dt > 0)) break;
          x = ((x - series.prevValue) / dt) * rule.perMs;
        }
        const p = params[i] as LevelParams;
        if (st === null) {
          if (firstLevel(p.levels, x) < 0) break;
          st = states[i] = ruleKeyState(dev, rule);
        }
        evaluateLevels(rule, p, st, reading, x, out);
        break;
      }
      case 'window':
        st ??= states[i] = ruleKeyState(dev, rule);
        evaluateLevels(rule, params[i] as LevelParams, st, reading, aggregate(rule, windowBuffer(st, reading.metric), ts, reading.value), out);
        break;
      case 'flatline':
        st ??= states[i] = ruleKeyState(dev, rule);
        evaluateFlatline(rule, params[i] as FlatlineParams, st, reading, out);
        break;
    }
  }
  series.prevTs = ts;
  series.prevValue = reading.value;
}

/** A person resolved the event: forget it; a new violation must hold for `for` again. */
export function releaseTelemetry(st: RuleKeyState): void {
  st.phase = 'idle';
  st.open = null;
  st.runStart = NaN;
  st.clearStart = NaN;
  if (st.aux) for (const aux of st.aux.values()) if ('start' in aux) aux.start = NaN;
}
