import { encodeEventKey, severityRank, type DeviceRef, type Severity } from '../domain/index.js';
import { offlineCandidates, type Candidates, type CompiledOfflineRule, type CompiledRules, type OfflineParams } from './compile.js';
import { fmt, formatDuration, seconds, where } from './message.js';
import { deviceState, eachDevice, offlineKeyState, type DeviceState, type EngineState, type OfflineCache, type OfflineKeyState } from './state.js';
import type { RuleTransition } from './types.js';

// offline: raised when a device has sent nothing for `after` by the gateway's clock,
// resolved by its next message (RULES.md). Checked on tick.

/** What an offline key learns: the device spoke, a tick found it silent for `silentMs`, or a person resolved its event. */
export type OfflineInput =
  | { type: 'seen' }
  | { type: 'silent'; silentMs: number; p: OfflineParams; now: number }
  | { type: 'release' };

/** What one offline step decided: nothing, or the transition to emit (and the severity of the event it ends). */
export type OfflineStep = null | { type: 'raised' } | { type: 'resolved'; severity: Severity };

const SEEN: OfflineInput = { type: 'seen' };
const RELEASE: OfflineInput = { type: 'release' };
const RAISED: OfflineStep = { type: 'raised' };

/**
 * The offline state machine, the one function that moves a key between phases: a message
 * from the device ends every phase (resolving an open event) and returns to `idle`; silence
 * of at least `after` raises from `idle` only; a person's release leaves the key `released`,
 * whatever its phase, until the device speaks again.
 */
export function nextOffline(st: OfflineKeyState, input: OfflineInput): OfflineStep {
  switch (input.type) {
    case 'seen': {
      const open = st.open;
      st.phase = 'idle';
      st.open = null;
      return open === null ? null : { type: 'resolved', severity: open.severity };
    }
    case 'silent':
      if (st.phase !== 'idle' || input.silentMs < input.p.afterMs) return null;
      st.phase = 'firing';
      st.open = { severity: input.p.severity, rank: severityRank(input.p.severity), raisedAt: input.now };
      return RAISED;
    case 'release':
      st.phase = 'released';
      st.open = null;
      return null;
  }
}

// The rule list and parameters are shared with every device that meets the same rules with the
// same overrides (10,000 registered devices held 20,000 arrays of one element each); the key
// states are the device's own, and exist only once a key has left `idle` (a key without one is
// idle: nothing to resolve on a message, due at lastSeen + after). A device whose keys are all
// idle (every registered device from start until it first goes silent too long) shares one
// cache with the others of its rule list: its states are all null, frozen, and `ownCache`
// gives the device a cache of its own before the first state is written (~120 B a device).
const idleCaches = new WeakMap<Candidates<CompiledOfflineRule, OfflineParams>, OfflineCache>();

function offlineCache(rules: CompiledRules, dev: DeviceState): OfflineCache {
  const shared = offlineCandidates(rules, dev);
  const { list, params } = shared;
  if (dev.offline.size > 0) return { rules, list, params, states: list.map((r) => dev.offline.get(r.id) ?? null) };
  let idle = idleCaches.get(shared);
  if (idle === undefined) idleCaches.set(shared, (idle = { rules, list, params, states: Object.freeze(list.map(() => null)) as (OfflineKeyState | null)[] }));
  return idle;
}

function cacheOf(rules: CompiledRules, dev: DeviceState): OfflineCache {
  let cache = dev.offlineCache;
  if (cache === null || cache.rules !== rules) cache = dev.offlineCache = offlineCache(rules, dev);
  return cache;
}

/** The device's cache, its own (not the shared idle one), for writing a key state into. */
function ownCache(rules: CompiledRules, dev: DeviceState): OfflineCache {
  const cache = cacheOf(rules, dev);
  if (!Object.isFrozen(cache.states)) return cache;
  return (dev.offlineCache = { rules, list: cache.list, params: cache.params, states: cache.list.map(() => null) });
}

function transition(type: RuleTransition['type'], rule: CompiledOfflineRule, dev: DeviceState, severity: Severity, silentMs: number, afterMs: number, now: number, message: string): RuleTransition {
  return {
    type,
    key: encodeEventKey({ rule: rule.id, site: dev.site, device: dev.device }),
    rule: rule.id,
    ruleVersion: rule.version,
    item: rule.item,
    title: rule.title,
    site: dev.site,
    device: dev.device,
    sector: dev.sector,
    severity,
    value: seconds(silentMs),
    threshold: seconds(afterMs),
    at: now,
    message,
  };
}

/** Any message from the device: it is alive, so its offline events resolve. */
export function stepSeen(rules: CompiledRules, state: EngineState, ref: DeviceRef, now: number, out: RuleTransition[]): DeviceState {
  const dev = deviceState(state, ref);
  const silent = now - dev.lastSeen;
  dev.lastSeen = now;
  if (dev.offline.size === 0) return dev;
  const cache = cacheOf(rules, dev);
  for (let i = 0; i < cache.list.length; i++) {
    const st = cache.states[i];
    if (!st) continue;
    const step = nextOffline(st, SEEN);
    if (step?.type !== 'resolved') continue;
    out.push(transition('resolved', cache.list[i]!, dev, step.severity, silent, cache.params[i]!.afterMs, now, `back online after ${fmt(seconds(silent))} s without a message at ${where(dev.site, dev.device)}`));
  }
  return dev;
}

/** A registry device: its offline clock starts now if it has never been seen. */
export function stepExpect(state: EngineState, ref: DeviceRef, now: number): void {
  const dev = deviceState(state, ref);
  if (dev.lastSeen !== dev.lastSeen) dev.lastSeen = now;
}

export function tickOffline(rules: CompiledRules, state: EngineState, now: number, out: RuleTransition[]): void {
  if (rules.offline.byDevice.size === 0 && rules.offline.bySite.size === 0 && rules.offline.bySector.size === 0 && rules.offline.any.size === 0) return;
  eachDevice(state, (dev) => {
    const silent = now - dev.lastSeen;
    if (!(silent > 0)) return;
    const cache = cacheOf(rules, dev);
    for (let i = 0; i < cache.list.length; i++) {
      const p = cache.params[i]!;
      let st = cache.states[i];
      if (!st) {
        // An idle key gets its state only when it is due to raise.
        if (silent < p.afterMs) continue;
        st = ownCache(rules, dev).states[i] = offlineKeyState(dev, cache.list[i]!);
      }
      if (nextOffline(st, { type: 'silent', silentMs: silent, p, now }) === null) continue;
      out.push(transition('raised', cache.list[i]!, dev, p.severity, silent, p.afterMs, now, `no message for ${fmt(seconds(silent))} s (>= ${formatDuration(p.afterMs)}) (${p.severity}) at ${where(dev.site, dev.device)}`));
    }
  });
}

/** The earliest gateway time at which a tick could raise an offline event, or Infinity. */
export function nextOfflineDue(rules: CompiledRules, state: EngineState): number {
  let due = Infinity;
  eachDevice(state, (dev) => {
    if (dev.lastSeen !== dev.lastSeen) return;
    const cache = cacheOf(rules, dev);
    for (let i = 0; i < cache.list.length; i++) {
      const st = cache.states[i];
      if (st && st.phase !== 'idle') continue;
      const t = dev.lastSeen + cache.params[i]!.afterMs;
      if (t < due) due = t;
    }
  });
  return due;
}

export function releaseOffline(st: OfflineKeyState): void {
  nextOffline(st, RELEASE);
}

/**
 * A person's release of an offline key that never left `idle` (so has no state yet): it is
 * released all the same, as a kept idle state would be, if the device meets the rule.
 */
export function releaseIdleOffline(rules: CompiledRules, dev: DeviceState, ruleId: string): void {
  const cache = cacheOf(rules, dev);
  const i = cache.list.findIndex((r) => r.id === ruleId);
  if (i >= 0) releaseOffline((ownCache(rules, dev).states[i] = offlineKeyState(dev, cache.list[i]!)));
}
