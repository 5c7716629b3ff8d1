import { stringify } from 'yaml';
import type { Detection, DetectionType, DeviceRef, Reading } from '../../../gateway/src/domain/index.js';
import {
  compileRuleSet,
  createEngineState,
  parseRuleSet,
  step,
  type CompiledRules,
  type EngineInput,
  type EngineState,
  type RuleInput,
  type RuleTransition,
} from '../../../gateway/src/rules/index.js';

// Virtual time for rule tests: T0 plus seconds, so minutes of rules run in microseconds.
export const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
export const sec = (s: number) => T0 + s * 1000;
export const min = (m: number) => T0 + m * 60_000;

export const CATALOGUE = stringify({
  items: [
    { code: 'T-01', name: 'Test item', sector: 'hazardous_chemicals', basis: 'test basis', department: 'test dept' },
    { code: 'T-02', name: 'Other test item', sector: 'construction', basis: 'test basis', department: 'test dept' },
  ],
});

export function compileRules(...rules: RuleInput[]): CompiledRules {
  return compileRuleSet(parseRuleSet({ name: 'catalogue.yaml', text: CATALOGUE }, [{ name: 'test.yaml', text: stringify({ rules }) }]));
}

export const GAS: DeviceRef = { site: 'hb-chem-001', device: 'gas-01', sector: 'hazardous_chemicals', kind: 'sensor' };
export const CAM: DeviceRef = { site: 'hb-chem-001', device: 'cam-01', sector: 'hazardous_chemicals', kind: 'camera' };

export function reading(value: number, ts: number, over: Partial<Reading> = {}): Reading {
  return { ...GAS, metric: 'gas_lel', value, ts, receivedAt: ts, skewed: false, valid: true, ...over };
}

export function detection(type: DetectionType, ts: number, confidence = 0.9, over: Partial<Detection> = {}): Detection {
  return { ...CAM, camera: 'cam-01', type, confidence, ts, receivedAt: ts, skewed: false, ...over };
}

/** A fresh engine on one rule set; `now` defaults to the input's event time. */
export class Harness {
  state: EngineState = createEngineState();
  constructor(readonly rules: CompiledRules) {}

  input(input: EngineInput, now: number): RuleTransition[] {
    return step(this.rules, this.state, input, now);
  }
  read(value: number, ts: number, over: Partial<Reading> = {}): RuleTransition[] {
    const r = reading(value, ts, over);
    return this.input({ type: 'reading', reading: r }, r.receivedAt);
  }
  /** Feeds readings [seconds, value] and returns every transition. */
  series(points: [number, number][], over: Partial<Reading> = {}): RuleTransition[] {
    return points.flatMap(([s, v]) => this.read(v, sec(s), over));
  }
  detect(ds: Detection[], now: number): RuleTransition[] {
    return this.input({ type: 'detections', detections: ds }, now);
  }
  tick(now: number): RuleTransition[] {
    return this.input({ type: 'tick' }, now);
  }
}

export const brief = (ts: RuleTransition[]) => ts.map((t) => `${t.type}:${t.severity}@${(t.at - T0) / 1000}`);

/** The combustible-gas rule of RULES.md, with knobs. */
export function gasRule(over: Partial<RuleInput> = {}): RuleInput {
  return {
    id: 'gas',
    item: 'T-01',
    title: 'Gas',
    kind: 'threshold',
    match: { sector: 'hazardous_chemicals', metric: 'gas_lel' },
    levels: [
      { severity: 'critical', gte: 50 },
      { severity: 'warning', gte: 25 },
    ],
    ...over,
  } as RuleInput;
}
