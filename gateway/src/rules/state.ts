import type { DetectionType, DeviceKind, Sector, Severity } from '../domain/index.js';
import type {
  CompiledOfflineRule,
  CompiledRules,
  CompiledTelemetryRule,
  FlatlineParams,
  LevelParams,
  OfflineParams,
} from './compile.js';
import type { EvidenceItem } from './types.js';

// The engine's memory. Held in Maps for speed while running; `serializeState` turns it into
// plain JSON and `restoreState` back. NaN marks "none" in number fields (null in JSON).

export interface OpenEvent {
  severity: Severity;
  rank: number;
  raisedAt: number;
}

/** Readings kept for a `window` rule, oldest at `head`. */
/**
 * Readings of a `window` rule, in time buckets of 1/600 of the window (newest reading time,
 * sum, count, min, max per bucket), so memory stays bounded however fast a device sends.
 * Readings further apart than a bucket are kept one per bucket: exact at the window's edge.
 */
export interface WindowBuffer {
  ts: number[];
  v: number[];
  c: number[];
  mn: number[];
  mx: number[];
  head: number;
  sum: number;
  count: number;
}
/** The current flat run of a `flatline` rule: since `start`, values stayed within [min, max]. */
export interface FlatRun {
  start: number;
  min: number;
  max: number;
}
export type Aux = WindowBuffer | FlatRun;

/**
 * Where an event key of a telemetry rule stands (RULES.md, "Events"):
 * - `idle`: no level holds and no event is open;
 * - `pending`: a level holds since `runStart`, not yet for `for`;
 * - `firing`: the event is open (`open`), its condition not clear;
 * - `clearing`: the event is open and the clear condition holds since `clearStart`, not yet for `clearFor`.
 * flatline keys use `idle` and `firing` only (their run lives in `aux`).
 */
export type RulePhase = 'idle' | 'pending' | 'firing' | 'clearing';

/** One event key (rule, site, device) of a telemetry rule. */
export interface RuleKeyState {
  rule: string;
  version: string;
  phase: RulePhase;
  /** The open event: set in `firing` and `clearing`, null otherwise. */
  open: OpenEvent | null;
  /** Event time of the first reading of the unbroken run in which a level held; meaningful from `pending` on (NaN in `idle`). */
  runStart: number;
  /** Event time of the first reading of the unbroken run in which the clear condition held; meaningful in `clearing` (NaN otherwise). */
  clearStart: number;
  /** Per-metric data of window and flatline rules (null until needed). */
  aux: Map<string, Aux> | null;
}

/** The rules a series meets and their parameters; shared by every series with the same ones. */
export interface SharedCandidates {
  list: CompiledTelemetryRule[];
  params: (LevelParams | FlatlineParams)[];
}

/** One metric of one device. */
export interface SeriesState {
  /** Event time of the last evaluated reading (-Infinity: none). */
  lastTs: number;
  /** The last evaluated valid reading, for `rate`. */
  prevTs: number;
  prevValue: number;
  /** The rule set `shared` and `states` were built for; rebuilt when it changes. */
  rules: CompiledRules | null;
  shared: SharedCandidates | null;
  /**
   * The event-key state of each rule of `shared.list`, in the same order. null while a
   * single-metric threshold or rate rule has nothing to remember, so the common "all is
   * well" reading touches no per-rule memory.
   */
  states: (RuleKeyState | null)[];
}

/**
 * Where an event key of an `offline` rule stands (RULES.md, "offline"):
 * - `idle`: no event is open; the device's silence (gateway clock since `DeviceState.lastSeen`) counts towards `after`;
 * - `firing`: the event is open (`open`) until the device's next message;
 * - `released`: a person resolved the event while the device stayed silent; silence does not
 *   count again until the device has spoken (back to `idle`).
 */
export type OfflinePhase = 'idle' | 'firing' | 'released';

/** One event key (rule, site, device) of an offline rule. */
export interface OfflineKeyState {
  rule: string;
  version: string;
  phase: OfflinePhase;
  /** The open event (gateway clock in `raisedAt`): set in `firing`, null otherwise. */
  open: OpenEvent | null;
}

export interface OfflineCache {
  rules: CompiledRules;
  list: CompiledOfflineRule[];
  params: OfflineParams[];
  /** The device's key state of each rule in `list`; null: idle, never left it (no state kept). */
  states: (OfflineKeyState | null)[];
}

export interface DeviceState {
  site: string;
  device: string;
  sector: Sector;
  kind: DeviceKind;
  /** Gateway clock of the last message (NaN: never seen nor expected). */
  lastSeen: number;
  series: Map<string, SeriesState>;
  rules: Map<string, RuleKeyState>;
  /** Offline key states, by rule id: only keys that have left `idle` at least once. */
  offline: Map<string, OfflineKeyState>;
  offlineCache: OfflineCache | null;
}

/**
 * Where an event key of a `detection` rule stands (RULES.md, "detection"):
 * - `idle`: no event is open; it raises when `count` qualifying detections fall within
 *   `within` and the last raise (`lastRaisedAt`) is at least `cooldown` old;
 * - `firing`: the event is open (`open`); it resolves once no qualifying detection has come
 *   for `clearAfter` (gateway clock since `lastDetectionAt`), forgetting `times` and `evidence`.
 */
export type DetectionPhase = 'idle' | 'firing';

/** One event key (rule, site, device, camera, type) of a detection rule. */
export interface DetectionKeyState {
  key: string;
  phase: DetectionPhase;
  rule: string;
  version: string;
  site: string;
  device: string;
  sector: Sector;
  kind: DeviceKind;
  camera: string;
  type: DetectionType;
  /** Event times of qualifying detections within `within`, oldest first. */
  times: number[];
  /** What those detections showed (at most MAX_EVIDENCE, within `within`), oldest first. */
  evidence: EvidenceItem[];
  /** Event time of the newest detection counted; an older one is not evaluated (-Infinity: none). */
  lastTs: number;
  /** The open event (event time in `raisedAt`): set in `firing`, null otherwise. */
  open: OpenEvent | null;
  /** Event time of the last raise, for `cooldown`; kept across resolve and release (NaN: never raised). */
  lastRaisedAt: number;
  /** Gateway clock of the last qualifying detection, for `clearAfter` (NaN: none). */
  lastDetectionAt: number;
}

export interface EngineState {
  /**
   * By device id, which the registry keeps unique, so a reading costs one lookup; a device
   * id that another site also uses lives in `shadowed` under site and device.
   */
  devices: Map<string, DeviceState>;
  shadowed: Map<string, DeviceState>;
  detections: Map<string, DetectionKeyState>;
  /** The detection keys with an open event, for clearAfter on tick. */
  openDetections: Map<string, DetectionKeyState>;
}

export function createEngineState(): EngineState {
  return { devices: new Map(), shadowed: new Map(), detections: new Map(), openDetections: new Map() };
}

type DeviceKey = { site: string; device: string; sector: Sector; kind: DeviceKind };

/**
 * A registered device gets its state at start (offline expectations), long before its first
 * reading; until then its series, rule keys and offline keys share these empty maps (19,000
 * registered devices held ~8 MiB of empty Maps). `seriesFor`/`ruleKeyState`/`offlineKeyState`
 * swap in a map of its own on first write; a write to a shared one is a bug, so it throws.
 */
class SharedEmptyMap<K, V> extends Map<K, V> {
  override set(): this {
    throw new Error('rule engine: write to a shared empty map');
  }
}
const NO_SERIES: Map<string, SeriesState> = new SharedEmptyMap();
const NO_RULE_KEYS: Map<string, RuleKeyState> = new SharedEmptyMap();
const NO_OFFLINE_KEYS: Map<string, OfflineKeyState> = new SharedEmptyMap();

function newDevice(ref: DeviceKey): DeviceState {
  return {
    site: ref.site,
    device: ref.device,
    sector: ref.sector,
    kind: ref.kind,
    lastSeen: NaN,
    series: NO_SERIES,
    rules: NO_RULE_KEYS,
    offline: NO_OFFLINE_KEYS,
    offlineCache: null,
  };
}

const shadowKey = (site: string, device: string) => `${site}\u0000${device}`;

export function deviceState(state: EngineState, ref: DeviceKey): DeviceState {
  let dev = state.devices.get(ref.device);
  if (dev !== undefined && dev.site === ref.site) return dev;
  if (dev === undefined) {
    dev = newDevice(ref);
    state.devices.set(ref.device, dev);
    return dev;
  }
  const key = shadowKey(ref.site, ref.device);
  let other = state.shadowed.get(key);
  if (other === undefined) state.shadowed.set(key, (other = newDevice(ref)));
  return other;
}

export function findDevice(state: EngineState, site: string, device: string): DeviceState | undefined {
  const dev = state.devices.get(device);
  if (dev !== undefined && dev.site === site) return dev;
  return state.shadowed.get(shadowKey(site, device));
}

/** Every device, in a stable order: first-seen order, then the shadowed ones. */
export function eachDevice(state: EngineState, fn: (dev: DeviceState) => void): void {
  for (const dev of state.devices.values()) fn(dev);
  for (const dev of state.shadowed.values()) fn(dev);
}

/** The state of a metric's series on a device, created on its first reading. */
export function seriesFor(dev: DeviceState, key: string): SeriesState {
  let series = dev.series.get(key);
  if (series === undefined) {
    if (dev.series === NO_SERIES) dev.series = new Map();
    series = { lastTs: -Infinity, prevTs: NaN, prevValue: NaN, rules: null, shared: null, states: [] };
    dev.series.set(key, series);
  }
  return series;
}

/** The state of an offline rule's event key on a device, created when it first leaves `idle`. */
export function offlineKeyState(dev: DeviceState, rule: { id: string; version: string }): OfflineKeyState {
  let st = dev.offline.get(rule.id);
  if (st === undefined) {
    if (dev.offline === NO_OFFLINE_KEYS) dev.offline = new Map();
    dev.offline.set(rule.id, (st = { rule: rule.id, version: rule.version, phase: 'idle', open: null }));
  }
  return st;
}

/** The state of a rule's event key on a device, created on first need. */
export function ruleKeyState(dev: DeviceState, rule: { id: string; version: string }): RuleKeyState {
  let st = dev.rules.get(rule.id);
  if (st === undefined) {
    if (dev.rules === NO_RULE_KEYS) dev.rules = new Map();
    dev.rules.set(rule.id, (st = newRuleKeyState(rule)));
  }
  return st;
}

export function newRuleKeyState(rule: { id: string; version: string }): RuleKeyState {
  return { rule: rule.id, version: rule.version, phase: 'idle', open: null, runStart: NaN, clearStart: NaN, aux: null };
}

/** Keeps the state of rules whose id and version are in `rules`; drops the rest. */
export function pruneState(state: EngineState, rules: CompiledRules): EngineState {
  const current = (id: string, version: string) => rules.byId.get(id)?.version === version;
  eachDevice(state, (dev) => {
    for (const [id, st] of dev.rules) if (!current(id, st.version)) dev.rules.delete(id);
    for (const [id, st] of dev.offline) if (!current(id, st.version)) dev.offline.delete(id);
    // Caches point at the old rule objects; they rebuild on next use.
    dev.offlineCache = null;
    for (const s of dev.series.values()) {
      s.rules = null;
      s.shared = null;
      s.states = [];
    }
  });
  for (const [key, st] of state.detections) {
    if (!current(st.rule, st.version)) {
      state.detections.delete(key);
      state.openDetections.delete(key);
    }
  }
  return state;
}

/**
 * Hot reload: keeps the state of rules whose id and version are unchanged and drops the
 * rest (their open events are no longer followed by the engine). `oldRules` is accepted for
 * symmetry; every state entry records the version it was built under.
 */
export function rebase(state: EngineState, _oldRules: CompiledRules, newRules: CompiledRules): EngineState {
  return pruneState(state, newRules);
}
