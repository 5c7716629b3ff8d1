import { resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../gateway/src/observability/index.js';
import { createRuleHost, type RuleHost } from '../../../gateway/src/rule-host.js';

const GAS = { site: 'hb-chem-001', device: 'gas-01', sector: 'hazardous_chemicals' as const, kind: 'sensor' as const };

describe('engine state saves', () => {
  let host: RuleHost;
  let saved: string[];
  const save = () => host.saveIfChanged((s) => saved.push(s.toString('utf8')));

  beforeEach(() => {
    // The project's rules: hazardous-chemical devices raise an offline event after 5 minutes.
    host = createRuleHost(resolve('rules'), createLogger('silent'));
    saved = [];
  });

  it('has nothing to save before any input', () => {
    expect(save()).toBe(false);
    expect(saved).toEqual([]);
  });

  it('saves the state once after an input and not again while ticks change nothing', () => {
    host.step({ type: 'expect', ref: GAS }, 0);
    expect(save()).toBe(true);
    for (let s = 1; s < 299; s++) host.step({ type: 'tick' }, s * 1000);
    expect(save()).toBe(false);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toBe(host.snapshot());
  });

  it('saves again after a tick that raised an event', () => {
    host.step({ type: 'expect', ref: GAS }, 0);
    save();
    expect(host.step({ type: 'tick' }, 300_000).map((t) => t.type)).toContain('raised');
    expect(save()).toBe(true);
    expect(saved[1]).toBe(host.snapshot());
    expect(saved[1]).not.toBe(saved[0]);
  });

  it('keeps the state due for the next save when a write fails', () => {
    host.step({ type: 'expect', ref: GAS }, 0);
    expect(() =>
      host.saveIfChanged(() => {
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(save()).toBe(true);
    expect(saved).toEqual([host.snapshot()]);
  });
});
