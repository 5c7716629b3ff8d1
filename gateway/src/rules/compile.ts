import type { DetectionType, DeviceKind, Severity, Sector } from '../domain/index.js';
import type { CatalogueItem } from './catalogue.js';
import { compileComparison, compileLevel, type CompiledComparison, type CompiledLevel } from './compare.js';
import type { LoadedRule, RuleSet } from './loader.js';
import type { Aggregate, Comparison, DetectionRule, FlatlineRule, Level, LevelRule, OfflineRule } from './schema.js';

// The rule set compiled to lookup structures: a reading only ever meets the rules that name
// its metric and can match its device, so the cost per reading does not grow with rules
// written for other metrics, sites or devices.

export interface LevelParams {
  levels: CompiledLevel[];
  /** null: the event clears when no level holds. */
  clear: CompiledComparison | null;
  forMs: number;
  clearForMs: number;
}
export interface FlatlineParams {
  tolerance: number;
  forMs: number;
  severity: Severity;
}
export interface OfflineParams {
  afterMs: number;
  severity: Severity;
}
export interface DetectionParams {
  minConfidence: number;
  count: number;
  severity: Severity;
}

/** Parameters for the devices an override names; the most specific variant wins. */
export interface Variant<P> {
  sites: ReadonlySet<string> | null;
  devices: ReadonlySet<string> | null;
  specificity: number;
  params: P;
}

interface RuleCore<P> {
  /** Position in the rule set: transitions of one input come out in this order. */
  index: number;
  id: string;
  version: string;
  item: string;
  title: string;
  def: LoadedRule;
  sectors: ReadonlySet<string> | null;
  sites: ReadonlySet<string> | null;
  devices: ReadonlySet<string> | null;
  kinds: ReadonlySet<string> | null;
  /** Telemetry kinds: the data kinds (`interval`) the rule sees; null for offline and detection. */
  intervals: ReadonlySet<string> | null;
  base: P;
  variants: Variant<P>[];
}

export interface CompiledLevelRule extends RuleCore<LevelParams> {
  kind: 'threshold' | 'rate' | 'window';
  metrics: string[];
  perMs: number;
  windowMs: number;
  aggregate: Aggregate | null;
}
export interface CompiledFlatlineRule extends RuleCore<FlatlineParams> {
  kind: 'flatline';
  metrics: string[];
}
export interface CompiledOfflineRule extends RuleCore<OfflineParams> {
  kind: 'offline';
}
export interface CompiledDetectionRule extends RuleCore<DetectionParams> {
  kind: 'detection';
  types: DetectionType[];
  withinMs: number;
  clearAfterMs: number;
  cooldownMs: number;
}
export type CompiledTelemetryRule = CompiledLevelRule | CompiledFlatlineRule;
export type CompiledRule = CompiledTelemetryRule | CompiledOfflineRule | CompiledDetectionRule;

/** Rules bucketed by the most selective key their match names, then by metric or type. */
interface Buckets<T> {
  byDevice: Map<string, Map<string, T[]>>;
  bySite: Map<string, Map<string, T[]>>;
  bySector: Map<string, Map<string, T[]>>;
  any: Map<string, T[]>;
}

export interface CompiledRules {
  set: RuleSet;
  rules: CompiledRule[];
  byId: ReadonlyMap<string, CompiledRule>;
  items: ReadonlyMap<string, CatalogueItem>;
  telemetry: Buckets<CompiledTelemetryRule>;
  detection: Buckets<CompiledDetectionRule>;
  /** Offline rules keyed by a constant second key, to share the bucket code. */
  offline: Buckets<CompiledOfflineRule>;
  /**
   * Candidate lists interned by their content, so the many series that meet the same rules
   * with the same parameters share one list (and one place in the CPU cache). A memo only:
   * filled on first use, never changes what the engine decides.
   */
  shared: Map<string, Candidates<CompiledTelemetryRule, LevelParams | FlatlineParams>>;
  /** The same for the offline rules of a device: thousands of registered devices share a handful of lists. */
  sharedOffline: Map<string, Candidates<CompiledOfflineRule, OfflineParams>>;
}

/** The rules an input meets, in rule-set order, and the parameters each applies to it. */
export interface Candidates<R, P> {
  list: R[];
  params: P[];
}

export interface MatchTarget {
  site: string;
  device: string;
  sector: Sector;
  kind: DeviceKind;
  /** A reading's data kind; absent means real-time. */
  interval?: string;
}

const toSet = (list: readonly string[] | undefined): ReadonlySet<string> | null => (list ? new Set(list) : null);

function compileLevelParams(levels: Level[], clear: Comparison | undefined, forMs: number, clearForMs: number): LevelParams {
  return { levels: levels.map(compileLevel), clear: clear ? compileComparison(clear) : null, forMs, clearForMs };
}

function variants<O extends { site?: string[]; device?: string[] }, P>(overrides: O[], merge: (o: O) => P): Variant<P>[] {
  return overrides.map((o) => ({
    sites: toSet(o.site),
    devices: toSet(o.device),
    // device > site (RULES.md); an override naming both is the most specific of all.
    specificity: (o.device ? 2 : 0) + (o.site ? 1 : 0),
    params: merge(o),
  }));
}

function compileRule(def: LoadedRule, index: number): CompiledRule {
  const m = def.match;
  const core = {
    index,
    id: def.id,
    version: def.version,
    item: def.item,
    title: def.title,
    def,
    sectors: toSet(m.sector),
    sites: toSet(m.site),
    devices: toSet(m.device),
    kinds: toSet(m.kind),
    intervals: 'metric' in m ? new Set<string>(('interval' in m && m.interval) || ['rt']) : null,
  };
  switch (def.kind) {
    case 'threshold':
    case 'rate':
    case 'window': {
      const r: LevelRule = def;
      const base = compileLevelParams(r.levels, r.clear, r.for, r.clearFor);
      return {
        ...core,
        kind: r.kind,
        metrics: r.match.metric,
        perMs: r.kind === 'rate' ? r.per : 0,
        windowMs: r.kind === 'window' ? r.window : 0,
        aggregate: r.kind === 'window' ? r.aggregate : null,
        base,
        variants: variants(r.overrides, (o) => ({
          levels: o.levels ? o.levels.map(compileLevel) : base.levels,
          clear: o.clear ? compileComparison(o.clear) : base.clear,
          forMs: o.for ?? base.forMs,
          clearForMs: o.clearFor ?? base.clearForMs,
        })),
      };
    }
    case 'flatline': {
      const r: FlatlineRule = def;
      const base = { tolerance: r.tolerance, forMs: r.for, severity: r.severity };
      return {
        ...core,
        kind: 'flatline',
        metrics: r.match.metric,
        base,
        variants: variants(r.overrides, (o) => ({ tolerance: o.tolerance ?? base.tolerance, forMs: o.for ?? base.forMs, severity: o.severity ?? base.severity })),
      };
    }
    case 'offline': {
      const r: OfflineRule = def;
      const base = { afterMs: r.after, severity: r.severity };
      return { ...core, kind: 'offline', base, variants: variants(r.overrides, (o) => ({ afterMs: o.after ?? base.afterMs, severity: o.severity ?? base.severity })) };
    }
    case 'detection': {
      const r: DetectionRule = def;
      const base = { minConfidence: r.minConfidence, count: r.count, severity: r.severity };
      return {
        ...core,
        kind: 'detection',
        types: r.types,
        withinMs: r.within,
        clearAfterMs: r.clearAfter,
        cooldownMs: r.cooldown,
        base,
        variants: variants(r.overrides, (o) => ({
          minConfidence: o.minConfidence ?? base.minConfidence,
          count: o.count ?? base.count,
          severity: o.severity ?? base.severity,
        })),
      };
    }
  }
}

function emptyBuckets<T>(): Buckets<T> {
  return { byDevice: new Map(), bySite: new Map(), bySector: new Map(), any: new Map() };
}

function push<T>(outer: Map<string, Map<string, T[]>>, k1: string, k2: string, rule: T): void {
  let inner = outer.get(k1);
  if (!inner) outer.set(k1, (inner = new Map()));
  const list = inner.get(k2);
  if (list) list.push(rule);
  else inner.set(k2, [rule]);
}

function index<T extends CompiledRule>(b: Buckets<T>, rule: T, keys: readonly string[]): void {
  for (const key of keys) {
    if (rule.devices) for (const d of rule.devices) push(b.byDevice, d, key, rule);
    else if (rule.sites) for (const s of rule.sites) push(b.bySite, s, key, rule);
    else if (rule.sectors) for (const s of rule.sectors) push(b.bySector, s, key, rule);
    else {
      const list = b.any.get(key);
      if (list) list.push(rule);
      else b.any.set(key, [rule]);
    }
  }
}

export const OFFLINE_KEY = '*';

export function compileRuleSet(set: RuleSet): CompiledRules {
  const rules = set.rules.map(compileRule);
  const telemetry = emptyBuckets<CompiledTelemetryRule>();
  const detection = emptyBuckets<CompiledDetectionRule>();
  const offline = emptyBuckets<CompiledOfflineRule>();
  for (const rule of rules) {
    if (rule.kind === 'offline') index(offline, rule, [OFFLINE_KEY]);
    else if (rule.kind === 'detection') index(detection, rule, rule.types);
    else index(telemetry, rule, rule.metrics);
  }
  return {
    set,
    rules,
    byId: new Map(rules.map((r) => [r.id, r])),
    items: new Map(set.catalogue.map((i) => [i.code, i])),
    telemetry,
    detection,
    offline,
    shared: new Map(),
    sharedOffline: new Map(),
  };
}

export function matches(rule: CompiledRule, t: MatchTarget): boolean {
  return (
    (rule.sectors === null || rule.sectors.has(t.sector)) &&
    (rule.sites === null || rule.sites.has(t.site)) &&
    (rule.devices === null || rule.devices.has(t.device)) &&
    (rule.kinds === null || rule.kinds.has(t.kind)) &&
    (rule.intervals === null || rule.intervals.has(t.interval ?? 'rt'))
  );
}

/** The rules of one bucket set that can match this device for this metric / type. */
export function candidates<T extends CompiledRule>(b: Buckets<T>, t: MatchTarget, key: string): T[] {
  const found: T[] = [];
  const add = (list: T[] | undefined) => {
    if (list) for (const r of list) if (matches(r, t)) found.push(r);
  };
  add(b.byDevice.get(t.device)?.get(key));
  add(b.bySite.get(t.site)?.get(key));
  add(b.bySector.get(t.sector)?.get(key));
  add(b.any.get(key));
  // Each rule sits in one bucket kind only, so there are no duplicates; order by rule set.
  return found.sort((a, b2) => a.index - b2.index);
}

/** Which override applies to a device (-1: none): the most specific; the first among equals. */
export function variantIndex(rule: { variants: Variant<unknown>[] }, site: string, device: string): number {
  let best = -1;
  rule.variants.forEach((v, i) => {
    if (v.sites !== null && !v.sites.has(site)) return;
    if (v.devices !== null && !v.devices.has(device)) return;
    if (best < 0 || v.specificity > rule.variants[best]!.specificity) best = i;
  });
  return best;
}

/** The parameters in force for a device: its most specific override, else the rule's own. */
export function paramsFor<P>(rule: { base: P; variants: Variant<P>[] }, site: string, device: string): P {
  const i = variantIndex(rule, site, device);
  return i < 0 ? rule.base : rule.variants[i]!.params;
}

/** `list` with its parameters for `t`, interned in `memo` by rule positions and the overrides that apply. */
function intern<R extends { index: number; base: P; variants: Variant<P>[] }, P>(memo: Map<string, Candidates<R, P>>, list: R[], t: MatchTarget): Candidates<R, P> {
  const variants = list.map((r) => variantIndex(r, t.site, t.device));
  const key = list.map((r, i) => `${r.index}:${variants[i]}`).join(',');
  let shared = memo.get(key);
  if (shared === undefined) {
    const params = list.map((r, i): P => (variants[i]! < 0 ? r.base : r.variants[variants[i]!]!.params));
    memo.set(key, (shared = { list, params }));
  }
  return shared;
}

/** The telemetry rules a series meets, with their parameters, interned in `rules.shared`. */
export function telemetryCandidates(rules: CompiledRules, t: MatchTarget, metric: string): Candidates<CompiledTelemetryRule, LevelParams | FlatlineParams> {
  return intern<CompiledTelemetryRule, LevelParams | FlatlineParams>(rules.shared, candidates(rules.telemetry, t, metric), t);
}

/** The offline rules a device meets, with their parameters, interned in `rules.sharedOffline`. */
export function offlineCandidates(rules: CompiledRules, t: MatchTarget): Candidates<CompiledOfflineRule, OfflineParams> {
  return intern(rules.sharedOffline, candidates(rules.offline, t, OFFLINE_KEY), t);
}
