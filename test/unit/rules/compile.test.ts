import { describe, expect, it } from 'vitest';
import type { RuleInput } from '../../../gateway/src/rules/index.js';
import { Harness, compileRules, gasRule, sec } from './helpers.js';

function deviceRules(n: number): RuleInput[] {
  return Array.from({ length: n }, (_, i) => gasRule({ id: `dev-${i}`, match: { metric: 'gas_lel', device: `gas-${i}` } }));
}

describe('compileRuleSet', () => {
  it('indexes rules naming devices under those devices only', () => {
    const rules = compileRules(...deviceRules(100));
    expect(rules.telemetry.byDevice.size).toBe(100);
    expect(rules.telemetry.any.size).toBe(0);
    expect(rules.telemetry.byDevice.get('gas-7')!.get('gas_lel')!.map((r) => r.id)).toEqual(['dev-7']);
  });

  it('indexes sector rules by sector and metric', () => {
    const rules = compileRules(gasRule());
    expect([...rules.telemetry.bySector.get('hazardous_chemicals')!.keys()]).toEqual(['gas_lel']);
  });

  it('indexes detection rules by type and offline rules apart', () => {
    const rules = compileRules(
      { id: 'd', item: 'T-01', title: 'D', kind: 'detection', match: { sector: 'construction' }, types: ['fire', 'smoke'], severity: 'critical' },
      { id: 'o', item: 'T-01', title: 'O', kind: 'offline', match: { site: 's1' }, after: '5m', severity: 'major' },
    );
    expect([...rules.detection.bySector.get('construction')!.keys()]).toEqual(['fire', 'smoke']);
    expect(rules.offline.bySite.get('s1')!.get('*')!.map((r) => r.id)).toEqual(['o']);
  });

  it('evaluates only the rules that can match a reading', () => {
    const h = new Harness(compileRules(gasRule({ id: 'all' }), ...deviceRules(1000)));
    h.read(30, sec(0), { device: 'gas-5' });
    const cache = h.state.devices.get('gas-5')!.series.get('gas_lel')!.shared!;
    expect(cache.list.map((r) => r.id)).toEqual(['all', 'dev-5']);
  });

  it('gives transitions of one reading in rule-set order', () => {
    const h = new Harness(compileRules(gasRule({ id: 'z-first' }), gasRule({ id: 'a-second', match: { metric: 'gas_lel', device: 'gas-01' } })));
    expect(h.read(30, sec(0)).map((t) => t.rule)).toEqual(['z-first', 'a-second']);
  });
});
