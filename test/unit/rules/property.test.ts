import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../../gateway/src/domain/index.js';
import { createEngineState, restoreState, serializeState, step, stepAll, type EngineInput, type RuleTransition } from '../../../gateway/src/rules/index.js';
import { GAS, T0, compileRules, gasRule } from './helpers.js';

const rules = compileRules(
  gasRule({ for: '10s', clear: { lt: 20 }, clearFor: '5s' }),
  { id: 'rate', item: 'T-01', title: 'Rate', kind: 'rate', match: { metric: 'gas_lel' }, per: '10s', levels: [{ severity: 'major', gte: 20 }, { severity: 'warning', gte: 5 }] },
  { id: 'win', item: 'T-01', title: 'Win', kind: 'window', match: { metric: 'gas_lel' }, window: '30s', aggregate: 'avg', levels: [{ severity: 'warning', gt: 30 }] },
  { id: 'flat', item: 'T-01', title: 'Flat', kind: 'flatline', match: { metric: 'gas_lel' }, tolerance: 1, for: '20s', severity: 'info' },
  { id: 'off', item: 'T-01', title: 'Off', kind: 'offline', match: {}, after: '15s', severity: 'major' },
);

// A stream of timed inputs from two devices: readings with jittered (sometimes
// out-of-order, sometimes invalid) event times, gateway ticks and releases.
const streamArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 4000 }),
      device: fc.constantFrom('gas-01', 'gas-02'),
      value: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.constant(22)),
      skew: fc.integer({ min: -3000, max: 500 }),
      valid: fc.integer({ min: 0, max: 9 }).map((n) => n > 1),
      what: fc.constantFrom('reading', 'reading', 'reading', 'tick', 'release'),
    }),
    { maxLength: 120 },
  )
  .map((steps) => {
    let now = T0;
    const inputs: { input: EngineInput; now: number }[] = [];
    for (const s of steps) {
      now += s.gap;
      const ref = { ...GAS, device: s.device };
      if (s.what === 'tick') inputs.push({ input: { type: 'tick' }, now });
      else if (s.what === 'release') inputs.push({ input: { type: 'release', key: `gas|${ref.site}|${ref.device}` }, now });
      else {
        const reading: Reading = { ...ref, metric: 'gas_lel', value: s.value, ts: now + s.skew, receivedAt: now, skewed: false, valid: s.valid };
        inputs.push({ input: { type: 'seen', ref }, now });
        inputs.push({ input: { type: 'reading', reading }, now });
      }
    }
    return inputs;
  });

function runOneByOne(inputs: { input: EngineInput; now: number }[]): RuleTransition[] {
  const state = createEngineState();
  return inputs.flatMap(({ input, now }) => step(rules, state, input, now));
}

describe('engine properties', () => {
  it('gives the same transitions stepping one by one as in one batch per instant, from fresh states', () => {
    fc.assert(
      fc.property(streamArb, (inputs) => {
        const state = createEngineState();
        const batched: RuleTransition[] = [];
        // Group inputs that share a gateway instant and step each group in one call.
        for (let i = 0; i < inputs.length; ) {
          let j = i;
          while (j < inputs.length && inputs[j]!.now === inputs[i]!.now) j++;
          batched.push(...stepAll(rules, state, inputs.slice(i, j).map((x) => x.input), inputs[i]!.now));
          i = j;
        }
        expect(batched).toEqual(runOneByOne(inputs));
        expect(runOneByOne(inputs)).toEqual(runOneByOne(inputs));
      }),
      { numRuns: 200 },
    );
  });

  it('never has two unresolved events for one key', () => {
    fc.assert(
      fc.property(streamArb, (inputs) => {
        const state = createEngineState();
        const open = new Set<string>();
        for (const { input, now } of inputs) {
          if (input.type === 'release') open.delete(input.key);
          for (const t of step(rules, state, input, now)) {
            if (t.type === 'raised') {
              expect(open.has(t.key)).toBe(false);
              open.add(t.key);
            } else {
              expect(open.has(t.key)).toBe(true);
              if (t.type === 'resolved') open.delete(t.key);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same transitions after a serialize and restore at any point', () => {
    fc.assert(
      fc.property(streamArb, fc.nat(), (inputs, cut) => {
        const at = inputs.length === 0 ? 0 : cut % (inputs.length + 1);
        let state = createEngineState();
        const out: RuleTransition[] = [];
        inputs.forEach(({ input, now }, i) => {
          if (i === at) state = restoreState(serializeState(state), rules);
          out.push(...step(rules, state, input, now));
        });
        expect(out).toEqual(runOneByOne(inputs));
      }),
      { numRuns: 200 },
    );
  });
});
