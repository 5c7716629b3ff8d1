import { encodeEventKey, severityRank, type Detection, type Severity } from '../domain/index.js';
import { candidates, paramsFor, type CompiledDetectionRule, type CompiledRules, type DetectionParams } from './compile.js';
import { fmt, formatDuration, where } from './message.js';
import type { DetectionKeyState, EngineState } from './state.js';
import type { EvidenceItem, RuleTransition } from './types.js';

// detection: at least `count` detections of the rule's types with confidence >= minConfidence
// within `within` (event time) raise; `clearAfter` without one (gateway clock) resolves;
// no new raise within `cooldown` of the last raise (RULES.md, DOMAIN.md section 3).

export const MAX_EVIDENCE = 20;

/**
 * What a detection key learns: a detection that meets the rule's confidence (event time
 * `d.ts`, gateway clock `now`), a tick of the gateway clock, or a person resolving its event.
 */
export type DetectionInput =
  | { type: 'detection'; d: Detection; rule: CompiledDetectionRule; p: DetectionParams; now: number }
  | { type: 'tick'; rule: CompiledDetectionRule; now: number }
  | { type: 'release' };

/** What one detection step decided: nothing, or the transition to emit. */
export type DetectionStep = null | { type: 'raised' } | { type: 'resolved'; severity: Severity; quietMs: number };

const RELEASE: DetectionInput = { type: 'release' };
const RAISED: DetectionStep = { type: 'raised' };

/**
 * The detection state machine, the one function that moves a key between phases. A
 * detection older than the newest one counted is ignored; otherwise it is counted (times
 * and evidence keep what lies within `within`) and raises from `idle` once `count` are
 * within and the cooldown since the last raise has passed. A tick resolves a `firing` key
 * after `clearAfter` without a detection; resolving or a person's release forgets what was
 * counted (the cooldown stays).
 */
export function nextDetection(st: DetectionKeyState, input: DetectionInput): DetectionStep {
  switch (input.type) {
    case 'detection': {
      const { d, rule, p } = input;
      // Same rule as readings: older than the last one counted for this key, not evaluated.
      if (d.ts < st.lastTs) return null;
      st.lastTs = d.ts;
      st.lastDetectionAt = input.now;
      const oldest = d.ts - rule.withinMs;
      let drop = 0;
      while (drop < st.times.length && st.times[drop]! <= oldest) drop++;
      if (drop > 0) st.times.splice(0, drop);
      st.times.push(d.ts);
      st.evidence.push(evidenceOf(d));
      while (st.evidence.length > 0 && (st.evidence.length > MAX_EVIDENCE || st.evidence[0]!.ts <= oldest)) st.evidence.shift();
      if (st.phase !== 'idle' || st.times.length < p.count) return null;
      if (st.lastRaisedAt === st.lastRaisedAt && d.ts - st.lastRaisedAt < rule.cooldownMs) return null;
      st.phase = 'firing';
      st.open = { severity: p.severity, rank: severityRank(p.severity), raisedAt: d.ts };
      st.lastRaisedAt = d.ts;
      return RAISED;
    }
    case 'tick': {
      if (st.phase !== 'firing') return null;
      const quietMs = input.now - st.lastDetectionAt;
      if (quietMs < input.rule.clearAfterMs) return null;
      const severity = st.open!.severity;
      forget(st);
      return { type: 'resolved', severity, quietMs };
    }
    case 'release':
      forget(st);
      return null;
  }
}

function forget(st: DetectionKeyState): void {
  st.phase = 'idle';
  st.open = null;
  st.times = [];
  st.evidence = [];
}

function keyState(state: EngineState, rule: CompiledDetectionRule, d: Detection): DetectionKeyState {
  const key = encodeEventKey({ rule: rule.id, site: d.site, device: d.device, camera: d.camera, type: d.type });
  let st = state.detections.get(key);
  if (st === undefined) {
    st = {
      key,
      phase: 'idle',
      rule: rule.id,
      version: rule.version,
      site: d.site,
      device: d.device,
      sector: d.sector,
      kind: d.kind,
      camera: d.camera,
      type: d.type,
      times: [],
      evidence: [],
      lastTs: -Infinity,
      open: null,
      lastRaisedAt: NaN,
      lastDetectionAt: NaN,
    };
    state.detections.set(key, st);
  }
  return st;
}

function transition(type: RuleTransition['type'], rule: CompiledDetectionRule, st: DetectionKeyState, severity: Severity, value: number, threshold: number | null, at: number, message: string): RuleTransition {
  return {
    type,
    key: st.key,
    rule: rule.id,
    ruleVersion: rule.version,
    item: rule.item,
    title: rule.title,
    site: st.site,
    device: st.device,
    sector: st.sector,
    camera: st.camera,
    detectionType: st.type,
    severity,
    value,
    threshold,
    at,
    message,
  };
}

function evidenceOf(d: Detection): EvidenceItem {
  const e: EvidenceItem = { ts: d.ts, confidence: d.confidence };
  if (d.bbox) e.bbox = d.bbox;
  if (d.snapshot) e.snapshot = d.snapshot;
  if (d.picture) e.picture = d.picture;
  if (d.zones) e.zones = d.zones;
  return e;
}

export function stepDetections(rules: CompiledRules, state: EngineState, detections: Detection[], now: number, out: RuleTransition[]): void {
  for (const d of detections) {
    for (const rule of candidates(rules.detection, d, d.type)) {
      const p = paramsFor(rule, d.site, d.device);
      if (d.confidence < p.minConfidence) continue;
      const st = keyState(state, rule, d);
      if (nextDetection(st, { type: 'detection', d, rule, p, now }) === null) continue;
      state.openDetections.set(st.key, st);
      const t = transition(
        'raised',
        rule,
        st,
        p.severity,
        st.times.length,
        p.count,
        d.ts,
        `${st.times.length} ${d.type} detection${st.times.length === 1 ? '' : 's'} in ${formatDuration(rule.withinMs)} (>= ${p.count}, confidence >= ${fmt(p.minConfidence)}) (${p.severity}) at ${where(d.site, d.device)} camera ${d.camera}`,
      );
      t.evidence = st.evidence.slice();
      out.push(t);
    }
  }
}

export function tickDetections(rules: CompiledRules, state: EngineState, now: number, out: RuleTransition[]): void {
  for (const st of state.openDetections.values()) {
    const rule = rules.byId.get(st.rule);
    if (rule === undefined || rule.kind !== 'detection') continue;
    const step = nextDetection(st, { type: 'tick', rule, now });
    if (step?.type !== 'resolved') continue;
    const quiet = step.quietMs;
    out.push(transition('resolved', rule, st, step.severity, Math.round(quiet) / 1000, rule.clearAfterMs / 1000, now, `no ${st.type} detection for ${formatDuration(Math.round(quiet / 1000) * 1000)} (>= ${formatDuration(rule.clearAfterMs)}): cleared at ${where(st.site, st.device)} camera ${st.camera}`));
    state.openDetections.delete(st.key);
  }
}

/** The earliest gateway time at which a tick could resolve a detection event, or Infinity. */
export function nextDetectionDue(rules: CompiledRules, state: EngineState): number {
  let due = Infinity;
  for (const st of state.openDetections.values()) {
    const rule = rules.byId.get(st.rule);
    if (rule === undefined || rule.kind !== 'detection') continue;
    const t = st.lastDetectionAt + rule.clearAfterMs;
    if (t < due) due = t;
  }
  return due;
}

export function releaseDetection(state: EngineState, st: DetectionKeyState): void {
  nextDetection(st, RELEASE);
  state.openDetections.delete(st.key);
}
