import { z } from 'zod';
import { decodeMessage } from '../ingest/index.js';
import { parseTopic } from '../protocol/topics.js';
import type { Registry } from '../registry/index.js';
import type { CompiledRules } from './compile.js';
import { inputsFor, nextDue, step } from './engine.js';
import { createEngineState, type EngineState } from './state.js';
import type { RuleTransition } from './types.js';

// Replays a recorded stream through the same decode -> inputsFor -> step path as the live
// gateway, on a virtual clock (the lines' receivedAt), to try rules before they go live.

export const replayLineSchema = z
  .object({
    topic: z.string(),
    payload: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]),
    receivedAt: z.union([z.number(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]),
  })
  .strict();
export type ReplayLine = z.input<typeof replayLineSchema>;

export interface ReplaySkip {
  line: number;
  reason: string;
}

export interface ReplayResult {
  transitions: RuleTransition[];
  skipped: ReplaySkip[];
  state: EngineState;
}

export interface ReplayOptions {
  /** Start every registry device's offline clock at the first line, as the live gateway does at start. */
  expectRegistry?: boolean;
}

/**
 * Moves a virtual gateway clock from `now` to `to`, ticking the engine as the live gateway
 * would: at least once a second, and over a longer gap exactly when something falls due, so
 * quiet hours cost nothing. Returns the new time (`to`). Shared by replay and backtest.
 */
export function advanceClock(rules: CompiledRules, state: EngineState, now: number, to: number, emit: (ts: RuleTransition[]) => void): number {
  if (to <= now) return now;
  if (to - now >= 1000) {
    for (let due = nextDue(rules, state); due < to && due > now; due = nextDue(rules, state)) {
      now = due;
      emit(step(rules, state, { type: 'tick' }, now));
    }
  }
  emit(step(rules, state, { type: 'tick' }, to));
  return to;
}

/** Lines are NDJSON text (blank lines ignored) or already-parsed objects. */
export function replayDetailed(rules: CompiledRules, registry: Registry, lines: Iterable<string | ReplayLine>, options: ReplayOptions = {}): ReplayResult {
  const state = createEngineState();
  const transitions: RuleTransition[] = [];
  const skipped: ReplaySkip[] = [];
  const emit = (ts: RuleTransition[]) => {
    for (const t of ts) transitions.push(t);
  };
  let now = -Infinity;
  let n = 0;
  for (const entry of lines) {
    n++;
    let raw: unknown = entry;
    if (typeof entry === 'string') {
      if (entry.trim() === '') continue;
      try {
        raw = JSON.parse(entry);
      } catch (err) {
        skipped.push({ line: n, reason: `not JSON: ${(err as Error).message}` });
        continue;
      }
    }
    const parsed = replayLineSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      skipped.push({ line: n, reason: `${i.path.join('.') || '(line)'}: ${i.message}` });
      continue;
    }
    const { topic, payload, receivedAt } = parsed.data;
    if (now === -Infinity) {
      now = receivedAt;
      if (options.expectRegistry) for (const d of registry.devices()) step(rules, state, { type: 'expect', ref: d }, now);
    } else if (receivedAt > now) {
      now = advanceClock(rules, state, now, receivedAt, emit);
    }
    const t = parseTopic(topic);
    const from = t ? registry.device(t.device) : undefined;
    if (!t || !from || from.site !== t.site) {
      skipped.push({ line: n, reason: t ? `device ${t.device} of site ${t.site} is not in the registry` : `topic "${topic}" is not a device topic` });
      continue;
    }
    const buf = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8');
    const decoded = decodeMessage(topic, buf, from, receivedAt);
    if (!decoded.ok) {
      skipped.push({ line: n, reason: `${decoded.reason}: ${decoded.detail}` });
      continue;
    }
    const ref = { site: from.site, device: from.device, sector: from.sector, kind: from.kind };
    for (const input of inputsFor(decoded, ref)) emit(step(rules, state, input, now));
  }
  return { transitions, skipped, state };
}

/** The transitions a recorded stream gives through these rules. */
export function replay(rules: CompiledRules, registry: Registry, lines: Iterable<string | ReplayLine>): RuleTransition[] {
  return replayDetailed(rules, registry, lines).transitions;
}
