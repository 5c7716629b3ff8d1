import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngineState, restoreState, serializeState, serializeStateUtf8, StateSnapshotError, step, type RuleTransition } from '../../../gateway/src/rules/index.js';
import { SEEDS, SNAPSHOT_CUTS, SNAPSHOT_SEED, STEPS } from '../../fixtures/engine/record.js';
import { seededStream, STREAM_RULES } from '../../fixtures/engine/stream.js';
import { compileRules } from './helpers.js';

// The fixtures were recorded by test/fixtures/engine/record.ts with the engine as it was
// before the state machines got named phases (issue 11): the engine must still agree.
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/engine/${name}`, import.meta.url), 'utf8'));
const recorded = fixture('transitions.json') as { steps: number; runs: Record<string, RuleTransition[]> };
const rules = compileRules(...STREAM_RULES);

describe('the engine against transitions recorded before the redesign', () => {
  for (const seed of SEEDS) {
    it(`gives the recorded transitions on the seeded stream ${seed}`, () => {
      const state = createEngineState();
      const got = seededStream(seed, STEPS).flatMap(({ input, now }) => step(rules, state, input, now));
      expect(recorded.runs[seed]!.length).toBeGreaterThan(100);
      expect(got).toEqual(recorded.runs[seed]);
    });
  }
});

describe('engine state saved by the code before the redesign', () => {
  for (const cut of SNAPSHOT_CUTS) {
    it(`restores and carries on with the recorded transitions (snapshot after ${cut} inputs)`, () => {
      const { saved, after } = fixture(`state-v1-at-${cut}.json`) as { saved: string; after: RuleTransition[] };
      const state = restoreState(saved, rules);
      const got = seededStream(SNAPSHOT_SEED, STEPS).slice(cut).flatMap(({ input, now }) => step(rules, state, input, now));
      expect(after.length).toBeGreaterThan(0);
      expect(got).toEqual(after);
    });
  }

  it('keeps a pending for timer across the restore: the first raise after it is the recorded one', () => {
    const { saved, after } = fixture('state-v1-at-133.json') as { saved: string; after: RuleTransition[] };
    expect(JSON.parse(saved).devices.some((d: { rules: { rule: string; open: unknown; runStart: unknown }[] }) => d.rules.some((r) => r.rule === 'gas' && r.open === null && r.runStart !== null))).toBe(true);
    const state = restoreState(saved, rules);
    const firstGas = seededStream(SNAPSHOT_SEED, STEPS).slice(133).flatMap(({ input, now }) => step(rules, state, input, now)).find((t) => t.rule === 'gas');
    expect(firstGas).toEqual(after.find((t) => t.rule === 'gas'));
    expect(firstGas?.type).toBe('raised');
  });
});

describe('saved engine state, format 2', () => {
  it('names the phase of every saved rule key, and reads a format 1 snapshot with the phases its fields implied', () => {
    const { saved } = fixture('state-v1-at-133.json') as { saved: string };
    const state = restoreState(saved, rules);
    const v2 = JSON.parse(serializeState(state));
    expect(v2.format).toBe(2);
    const gas = v2.devices.flatMap((d: { rules: { rule: string; phase: string }[] }) => d.rules).find((r: { rule: string }) => r.rule === 'gas');
    expect(gas.phase).toBe('pending');
  });

  it('writes the same JSON as UTF-8 bytes as it does as a string, at every point of a seeded stream', () => {
    const state = createEngineState();
    const stream = seededStream(SNAPSHOT_SEED, STEPS);
    stream.forEach(({ input, now }, i) => {
      step(rules, state, input, now);
      if (i % 50 === 0 || i === stream.length - 1) expect(serializeStateUtf8(state).toString('utf8')).toBe(serializeState(state));
    });
    expect(JSON.parse(serializeState(state)).devices.length).toBeGreaterThan(1);
  });

  it('writes names outside ASCII and a state larger than its first guess byte for byte', () => {
    const state = createEngineState();
    for (let i = 0; i < 300; i++) step(rules, state, { type: 'expect', ref: { site: `厂区-${i}`, device: `储罐-${'液位'.repeat(i % 40)}-${i}`, sector: 'hazardous_chemicals', kind: 'sensor' } }, 1_700_000_000_000 + i);
    const bytes = serializeStateUtf8(state);
    expect(bytes.toString('utf8')).toBe(serializeState(state));
    expect(restoreState(bytes.toString('utf8'), rules).devices.size).toBe(300);
  });

  it('refuses a snapshot whose phase contradicts its open event', () => {
    const { saved } = fixture('state-v1-at-700.json') as { saved: string };
    const snap = JSON.parse(saved);
    const open = snap.devices.flatMap((d: { rules: { open: unknown; phase?: string }[] }) => d.rules).find((r: { open: unknown }) => r.open !== null);
    open.phase = 'idle';
    expect(() => restoreState(JSON.stringify({ ...snap, format: 2 }), rules)).toThrow(StateSnapshotError);
  });
});
