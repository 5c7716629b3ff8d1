import { severityRank, type Detection, type DeviceRef, type Reading } from '../domain/index.js';
import type { BacktestCounts, BacktestResult, SimEvent } from './backtest-schema.js';
import type { CompiledRules } from './compile.js';
import { inputsFor, step } from './engine.js';
import { advanceClock } from './replay.js';
import { createEngineState } from './state.js';
import type { RuleTransition } from './types.js';

// Backtest: the same recorded messages through the rules in force and through a candidate
// set, each on its own pure engine with virtual time, then the difference between the two
// and what it means for the past events people already judged (their dispositions).

/** One stored message, as the engine sees it. */
export type RecordedMessage = { ts: number; ref: DeviceRef } & ({ readings: Reading[] } | { detections: Detection[] });

/** A past event from the events store, with how people closed it. */
export interface PastEvent {
  id: string;
  key: string;
  rule: string;
  site: string;
  raisedAt: number;
  resolvedAt: number | null;
  disposition: string | null;
}

/** One rule set on its own engine: fed messages in time order, gives the events it raised. */
export function createReplayRun(rules: CompiledRules, expect: readonly DeviceRef[] = []) {
  const state = createEngineState();
  const events: SimEvent[] = [];
  const open = new Map<string, SimEvent>();
  let now = -Infinity;
  const emit = (ts: RuleTransition[]) => {
    for (const t of ts) {
      const e = open.get(t.key);
      if (t.type === 'raised' && !e) {
        const ev: SimEvent = { key: t.key, rule: t.rule, item: t.item, site: t.site, device: t.device, raisedAt: t.at, resolvedAt: null, severity: t.severity };
        events.push(ev);
        open.set(t.key, ev);
      } else if (e && t.type === 'resolved') {
        e.resolvedAt = t.at;
        open.delete(t.key);
      } else if (e && severityRank(t.severity) > severityRank(e.severity)) {
        e.severity = t.severity;
      }
    }
  };
  return {
    feed(m: RecordedMessage) {
      if (now === -Infinity) {
        now = m.ts;
        for (const ref of expect) step(rules, state, { type: 'expect', ref }, now);
      } else if (m.ts > now) {
        now = advanceClock(rules, state, now, m.ts, emit);
      }
      const decoded = 'readings' in m ? ({ ok: true, channel: 'telemetry', readings: m.readings } as const) : ({ ok: true, channel: 'vision', camera: m.detections[0]?.camera ?? '', detections: m.detections } as const);
      for (const input of inputsFor(decoded, m.ref)) emit(step(rules, state, input, now));
    },
    /** Ticks on to the end of the period and returns the events, in raise order. */
    finish(to: number): SimEvent[] {
      if (now !== -Infinity) now = advanceClock(rules, state, now, to, emit);
      return events;
    },
  };
}

const end = (e: { resolvedAt: number | null }) => e.resolvedAt ?? Infinity;
const overlaps = (a: { raisedAt: number; resolvedAt: number | null }, b: { raisedAt: number; resolvedAt: number | null }) => a.raisedAt <= end(b) && b.raisedAt <= end(a);

function byKey(events: readonly SimEvent[]): Map<string, SimEvent[]> {
  const m = new Map<string, SimEvent[]>();
  for (const e of events) {
    const list = m.get(e.key);
    if (list) list.push(e);
    else m.set(e.key, [e]);
  }
  return m;
}

const zero = (): BacktestCounts => ({ before: 0, after: 0, removed: 0, added: 0, earlier: 0, later: 0, severityUp: 0, severityDown: 0, avoidedFalseAlarms: 0, missedConfirmed: 0, pastFalseAlarms: 0, pastConfirmed: 0, unreproduced: 0 });

export interface DiffInput {
  from: number;
  to: number;
  before: readonly SimEvent[];
  after: readonly SimEvent[];
  past: readonly PastEvent[];
  /** Rules of either set: past events of other rules (system events) are left out. */
  rules: ReadonlySet<string>;
  points: number;
  messages: number;
  skippedPoints: number;
  listLimit?: number;
}

/** What changes between the two runs, per rule and site, and against past dispositions. */
export function diffBacktest(d: DiffInput): BacktestResult {
  const limit = d.listLimit ?? 500;
  const totals = zero();
  const perRule = new Map<string, BacktestCounts>();
  const perSite = new Map<string, BacktestCounts>();
  const count = (rule: string, site: string, f: (c: BacktestCounts) => void) => {
    for (const [m, k] of [[perRule, rule], [perSite, site]] as const) {
      let c = m.get(k);
      if (!c) m.set(k, (c = zero()));
      f(c);
    }
    f(totals);
  };
  const result: BacktestResult = { from: d.from, to: d.to, points: d.points, messages: d.messages, skippedPoints: d.skippedPoints, totals, perRule: [], perSite: [], removed: [], added: [], changed: [], avoidedFalseAlarms: [], missedConfirmed: [], listLimit: limit };
  const push = <T>(list: T[], item: T) => void (list.length < limit && list.push(item));

  for (const e of d.before) count(e.rule, e.site, (c) => c.before++);
  for (const e of d.after) count(e.rule, e.site, (c) => c.after++);

  // Per key both lists are in time order and never overlap themselves (one unresolved event
  // per key), so one pass pairs each event with the first of the other run that overlaps it.
  const beforeByKey = byKey(d.before);
  const afterByKey = byKey(d.after);
  for (const key of new Set([...beforeByKey.keys(), ...afterByKey.keys()])) {
    const b = beforeByKey.get(key) ?? [];
    const a = afterByKey.get(key) ?? [];
    let i = 0;
    let j = 0;
    while (i < b.length || j < a.length) {
      const x = b[i];
      const y = a[j];
      if (x && (!y || end(x) < y.raisedAt)) {
        count(x.rule, x.site, (c) => c.removed++);
        push(result.removed, x);
        i++;
      } else if (y && (!x || end(y) < x.raisedAt)) {
        count(y.rule, y.site, (c) => c.added++);
        push(result.added, y);
        j++;
      } else if (x && y) {
        const shift = y.raisedAt - x.raisedAt;
        const sev = severityRank(y.severity) - severityRank(x.severity);
        count(x.rule, x.site, (c) => {
          if (shift < 0) c.earlier++;
          if (shift > 0) c.later++;
          if (sev > 0) c.severityUp++;
          if (sev < 0) c.severityDown++;
        });
        if (shift !== 0 || sev !== 0) push(result.changed, { before: x, after: y, raiseShiftMs: shift });
        i++;
        j++;
      }
    }
  }

  // A past event counts only where the rules in force raise it again from the stored data
  // (otherwise its absence from the candidate's run says nothing about the candidate).
  for (const p of d.past) {
    if (!d.rules.has(p.rule) || p.raisedAt < d.from || p.raisedAt >= d.to) continue;
    const reproduced = (beforeByKey.get(p.key) ?? []).some((e) => overlaps(e, p));
    const kept = (afterByKey.get(p.key) ?? []).some((e) => overlaps(e, p));
    const ref = { id: p.id, key: p.key, rule: p.rule, site: p.site, raisedAt: p.raisedAt };
    count(p.rule, p.site, (c) => {
      if (p.disposition === 'false_alarm') c.pastFalseAlarms++;
      if (p.disposition === 'confirmed_violation') c.pastConfirmed++;
      if (!reproduced) c.unreproduced++;
    });
    if (!reproduced || kept) continue;
    if (p.disposition === 'false_alarm') {
      count(p.rule, p.site, (c) => c.avoidedFalseAlarms++);
      push(result.avoidedFalseAlarms, ref);
    } else if (p.disposition === 'confirmed_violation') {
      count(p.rule, p.site, (c) => c.missedConfirmed++);
      push(result.missedConfirmed, ref);
    }
  }

  // Rules with a change first: the ones a supervisor must look at.
  const changedness = (c: BacktestCounts) => c.missedConfirmed * 1e6 + (c.removed + c.added + c.earlier + c.later + c.severityUp + c.severityDown);
  result.perRule = [...perRule].map(([rule, c]) => ({ rule, ...c })).sort((x, y) => changedness(y) - changedness(x) || x.rule.localeCompare(y.rule));
  result.perSite = [...perSite].map(([site, c]) => ({ site, ...c })).sort((x, y) => changedness(y) - changedness(x) || x.site.localeCompare(y.site));
  return result;
}
