import { describe, expect, it } from 'vitest';
import { Harness, brief, compileRules, gasRule, min } from './helpers.js';

// RULES.md: `interval` separates averaged data (minute, hourly, daily) from real-time values;
// a rule without `match.interval` sees real-time values only.
describe('match.interval', () => {
  const hourly = () => gasRule({ match: { sector: 'hazardous_chemicals', metric: 'gas_lel', interval: 'hour' } });

  it('a rule without match.interval sees real-time values and no averaged ones', () => {
    const h = new Harness(compileRules(gasRule()));
    expect(h.read(60, min(0), { interval: 'hour' })).toEqual([]);
    expect(h.read(60, min(1), { interval: 'min' })).toEqual([]);
    expect(brief(h.read(60, min(2), { interval: 'rt' }))).toEqual(['raised:critical@120']);
  });

  it('a rule with match.interval: hour sees hourly values only', () => {
    const h = new Harness(compileRules(hourly()));
    expect(h.read(60, min(0))).toEqual([]);
    expect(h.read(60, min(1), { interval: 'min' })).toEqual([]);
    expect(brief(h.read(60, min(2), { interval: 'hour' }))).toEqual(['raised:critical@120']);
  });

  it('evaluates an hourly value that arrives after later minute values of the same metric', () => {
    const h = new Harness(compileRules(hourly()));
    // Minute values up to 09:59, then the 09:00 hourly average arrives at 10:00.
    for (let m = 60; m < 120; m++) h.read(1, min(m), { interval: 'min' });
    expect(brief(h.read(60, min(60), { interval: 'hour' }))).toEqual(['raised:critical@3600']);
  });

  it('accepts a list of intervals', () => {
    const h = new Harness(compileRules(gasRule({ match: { sector: 'hazardous_chemicals', metric: 'gas_lel', interval: ['hour', 'day'] } })));
    expect(brief(h.read(60, min(0), { interval: 'day' }))).toEqual(['raised:critical@0']);
  });

  it('names the HJ 212 frame behind the deciding value in the evidence', () => {
    const h = new Harness(compileRules(gasRule()));
    const [t] = h.read(60, min(0), { frame: 'ab'.repeat(32) });
    expect(t!.evidence).toEqual([{ ts: min(0), confidence: 1, frame: 'ab'.repeat(32) }]);
  });
});
