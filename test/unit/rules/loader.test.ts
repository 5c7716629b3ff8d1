import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRICS, DETECTION_TYPES } from '../../../gateway/src/domain/index.js';
import { loadRuleSet, parseRuleSet, RuleSetError, ruleVersion, type RuleProblem } from '../../../gateway/src/rules/index.js';
import { CATALOGUE } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const SHIPPED = fileURLToPath(new URL('../../../rules', import.meta.url));

function problemsOf(load: () => unknown): RuleProblem[] {
  try {
    load();
  } catch (err) {
    if (err instanceof RuleSetError) return err.problems;
    throw err;
  }
  throw new Error('expected a RuleSetError');
}

describe('loadRuleSet', () => {
  const problems = problemsOf(() => loadRuleSet(fixture('bad')));

  it('names the file and the reason for YAML that does not parse', () => {
    expect(problems).toContainEqual({ file: 'broken-yaml.yaml', reason: expect.stringMatching(/^not valid YAML: /) });
  });

  it('names the file, rule id and path of a malformed duration', () => {
    expect(problems).toContainEqual({ file: 'bad-rules.yaml', ruleId: 'bad.duration', reason: 'for: "10 minutes" is not a duration like 500ms, 10s, 5m, 1h or 1d' });
  });

  it('refuses levels that are not listed most severe first', () => {
    expect(problems).toContainEqual({ file: 'bad-rules.yaml', ruleId: 'bad.order', reason: expect.stringContaining('most severe first') });
  });

  it('refuses a telemetry rule that names no metric', () => {
    expect(problems).toContainEqual({ file: 'bad-rules.yaml', ruleId: 'bad.no-metric', reason: 'match.metric: is required' });
  });

  it('refuses an unknown kind', () => {
    expect(problems).toContainEqual({ file: 'bad-rules.yaml', ruleId: 'bad.kind', reason: expect.stringMatching(/^kind: /) });
  });

  it('refuses a level that compares nothing', () => {
    expect(problems).toContainEqual({ file: 'bad-rules.yaml', ruleId: 'bad.empty-level', reason: 'levels.0: needs at least one of gt, gte, lt, lte, outside' });
  });

  it('refuses a rule id used in two files, naming the first file', () => {
    expect(problems).toContainEqual({ file: 'dup-b.yaml', ruleId: 'dup.gas', reason: 'duplicate rule id: already defined in dup-a.yaml' });
  });

  it('refuses a rule whose item is not in the catalogue', () => {
    expect(problems).toContainEqual({ file: 'unlisted.yaml', ruleId: 'unlisted.item', reason: 'item "XX-99" is not in the catalogue: no supervision outside the list' });
  });

  it('lists every problem of the directory at once', () => {
    expect(problems).toHaveLength(8);
  });

  it('refuses a directory without a catalogue', () => {
    expect(problemsOf(() => loadRuleSet(fixture('no-catalogue')))).toEqual([{ file: 'catalogue.yaml', reason: expect.stringMatching(/^missing/) }]);
  });

  it('refuses a directory that does not exist', () => {
    expect(problemsOf(() => loadRuleSet(fixture('nowhere')))[0]!.reason).toMatch(/cannot read the rule directory/);
  });

  it('accepts a metric that is not in the metric catalogue', () => {
    const set = loadRuleSet(fixture('good'));
    expect(set.rules.map((r) => r.id)).toEqual(['gas', 'future-metric']);
  });

  it('refuses a rule file with keys other than rules', () => {
    const p = problemsOf(() => parseRuleSet({ name: 'catalogue.yaml', text: CATALOGUE }, [{ name: 'x.yaml', text: 'rule: []' }]));
    expect(p.map((x) => x.file)).toEqual(['x.yaml', 'x.yaml']);
  });

  it('refuses unknown keys in a rule, so a typo does not silently do nothing', () => {
    const text = 'rules:\n  - { id: a, item: T-01, title: A, kind: threshold, match: { metric: gas_lel }, levels: [{ severity: warning, gte: 1 }], clearfor: 10s }';
    const p = problemsOf(() => parseRuleSet({ name: 'catalogue.yaml', text: CATALOGUE }, [{ name: 'x.yaml', text }]));
    expect(p).toEqual([{ file: 'x.yaml', ruleId: 'a', reason: expect.stringContaining('clearfor') }]);
  });
});

describe('rule versions', () => {
  const load = (text: string) => parseRuleSet({ name: 'catalogue.yaml', text: CATALOGUE }, [{ name: 'x.yaml', text }]).rules[0]!;
  const A = 'rules:\n  - { id: a, item: T-01, title: A, kind: threshold, match: { metric: gas_lel }, levels: [{ severity: warning, gte: 1 }], for: 60s }';

  it('are 12 hex digits of the canonical definition', () => {
    const rule = load(A);
    expect(rule.version).toMatch(/^[0-9a-f]{12}$/);
    const { version: _v, file: _f, ...definition } = rule;
    expect(rule.version).toBe(ruleVersion(definition));
  });

  it('do not change with key order or an equal spelling of a duration', () => {
    const B = 'rules:\n  - { for: 1m, levels: [{ gte: 1, severity: warning }], match: { metric: [gas_lel] }, kind: threshold, title: A, item: T-01, id: a }';
    expect(load(B).version).toBe(load(A).version);
  });

  it('change when a level changes', () => {
    expect(load(A.replace('gte: 1', 'gte: 2')).version).not.toBe(load(A).version);
  });
});

describe('the shipped rules directory', () => {
  const set = loadRuleSet(SHIPPED);

  it('loads clean', () => {
    expect(set.rules.length).toBeGreaterThan(20);
  });

  it('uses only metric names from the metric catalogue', () => {
    const metrics = set.rules.flatMap((r) => ('metric' in r.match ? r.match.metric : []));
    expect(metrics.filter((m) => !(m in METRICS))).toEqual([]);
  });

  it('uses only published detection types', () => {
    const types = set.rules.flatMap((r) => (r.kind === 'detection' ? r.types : []));
    expect(types.filter((t) => !(DETECTION_TYPES as readonly string[]).includes(t))).toEqual([]);
  });

  it('has an offline rule for every sector that has rules', () => {
    // Sectors of the items rules name (items the gateway raises itself, such as RISK-01, have none).
    const used = new Set(set.rules.map((r) => r.item));
    const sectors = new Set(set.catalogue.filter((i) => used.has(i.code)).map((i) => i.sector));
    const offline = new Set(set.rules.flatMap((r) => (r.kind === 'offline' ? (r.match.sector ?? []) : [])));
    expect([...sectors].filter((s) => !offline.has(s))).toEqual([]);
  });

  it('has a combustible gas threshold that raises at once for the live demo', () => {
    const gas = set.rules.find((r) => r.kind === 'threshold' && r.match.metric.includes('gas_lel'));
    expect(gas).toMatchObject({ for: 0 });
  });

  it('sets the coal mine methane levels of the safety regulations', () => {
    const ch4 = set.rules.find((r) => r.id === 'mining.methane');
    expect(ch4).toMatchObject({ levels: [{ severity: 'critical', gte: 1.5 }, { severity: 'major', gte: 1.0 }], clear: { lt: 1.0 } });
  });
});
