import { decodeEventKey, type DeviceRef } from '../domain/index.js';
import type { Decoded } from '../ingest/index.js';
import type { CompiledRules } from './compile.js';
import { nextDetectionDue, releaseDetection, stepDetections, tickDetections } from './detection.js';
import { nextOfflineDue, releaseIdleOffline, releaseOffline, stepExpect, stepSeen, tickOffline } from './offline.js';
import { deviceState, findDevice, type EngineState } from './state.js';
import { releaseTelemetry, stepReading } from './telemetry.js';
import type { EngineInput, RuleTransition } from './types.js';

// Most readings change nothing: they all get this one empty array instead of a new one each.
// Frozen, so a caller that tries to add to it fails loudly instead of corrupting it.
const NOTHING: RuleTransition[] = Object.freeze([]) as unknown as RuleTransition[];

/**
 * The pure rule engine: `(rules, state, input, now) -> transitions`, mutating `state` in
 * place. No I/O, no timers, no wall clock: `now` is the gateway clock and readings carry
 * their event time, so the same inputs at the same `now`s give the same transitions.
 * When nothing changes the result is a shared, frozen empty array: copy before adding to it.
 */
export function step(rules: CompiledRules, state: EngineState, input: EngineInput, now: number): RuleTransition[] {
  if (input.type === 'reading') {
    const out: RuleTransition[] = [];
    stepReading(rules, deviceState(state, input.reading), input.reading, out);
    return out.length === 0 ? NOTHING : out;
  }
  const out: RuleTransition[] = [];
  switch (input.type) {
    case 'detections':
      stepDetections(rules, state, input.detections, now, out);
      break;
    case 'seen':
      stepSeen(rules, state, input.ref, now, out);
      break;
    case 'expect':
      stepExpect(state, input.ref, now);
      break;
    case 'tick':
      tickOffline(rules, state, now, out);
      tickDetections(rules, state, now, out);
      break;
    case 'release':
      release(rules, state, input.key);
      break;
  }
  return out.length === 0 ? NOTHING : out;
}

/** Forgets the open event of a key; keys of other shapes (other modules' events) are ignored. */
function release(rules: CompiledRules, state: EngineState, key: string): void {
  const k = decodeEventKey(key);
  if (k === null) return;
  if ('camera' in k) {
    const st = state.detections.get(key);
    if (st) releaseDetection(state, st);
    return;
  }
  const dev = findDevice(state, k.site, k.device);
  if (!dev) return;
  const ruleId = k.rule;
  const kind = rules.byId.get(ruleId)?.kind;
  const offline = dev.offline.get(ruleId);
  if (offline && (kind === undefined || kind === 'offline')) releaseOffline(offline);
  else if (!offline && kind === 'offline') releaseIdleOffline(rules, dev, ruleId);
  const telemetry = dev.rules.get(ruleId);
  if (telemetry && kind !== 'offline') releaseTelemetry(telemetry);
}

/** Several inputs at one gateway time, transitions concatenated in order. */
export function stepAll(rules: CompiledRules, state: EngineState, inputs: readonly EngineInput[], now: number): RuleTransition[] {
  const out: RuleTransition[] = [];
  for (const input of inputs) for (const t of step(rules, state, input, now)) out.push(t);
  return out;
}

/**
 * The earliest gateway time at which a `tick` could produce a transition (offline due,
 * detection clearAfter due), or Infinity. Lets a replay jump over quiet stretches instead
 * of ticking every second.
 */
export function nextDue(rules: CompiledRules, state: EngineState): number {
  return Math.min(nextOfflineDue(rules, state), nextDetectionDue(rules, state));
}

/**
 * Maps a decoded message to engine inputs; the live gateway and replay both go through it.
 * `from` is the sending device: needed only for a vision message with no detections, which
 * carries no device of its own but still shows the device is alive.
 */
export function inputsFor(decoded: Decoded, from?: DeviceRef): EngineInput[] {
  switch (decoded.channel) {
    case 'telemetry': {
      const first = decoded.readings[0];
      const ref = first ? refOf(first) : from;
      const inputs: EngineInput[] = ref ? [{ type: 'seen', ref }] : [];
      for (const reading of decoded.readings) inputs.push({ type: 'reading', reading });
      return inputs;
    }
    case 'vision': {
      const first = decoded.detections[0];
      const ref = first ? refOf(first) : from;
      const inputs: EngineInput[] = ref ? [{ type: 'seen', ref }] : [];
      if (decoded.detections.length > 0) inputs.push({ type: 'detections', detections: decoded.detections });
      return inputs;
    }
    case 'status':
      return [{ type: 'seen', ref: refOf(decoded.status) }];
  }
}

function refOf(r: DeviceRef): DeviceRef {
  return { site: r.site, device: r.device, sector: r.sector, kind: r.kind };
}
