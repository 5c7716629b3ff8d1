import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy, parsePolicy, PolicyError, policyVersion } from '../../../gateway/src/inspections/index.js';
import { loadRuleSet } from '../../../gateway/src/rules/index.js';

describe('inspection policy', () => {
  it('parses the shipped policy with a department for every department in the catalogue', () => {
    const policy = loadPolicy(resolve('rules/inspection-policy.yaml'));
    const catalogue = new Set(loadRuleSet(resolve('rules')).catalogue.map((i) => i.department));
    expect(new Set(policy.departments.map((d) => d.department))).toEqual(catalogue);
  });

  it('refuses one inspector per visit, naming the path', () => {
    const text = `departments:\n  - department: X\n    sectors: [mining]\n    inspectorsPerVisit: 1\n    strata: {}\n`;
    expect(() => parsePolicy(text)).toThrow(PolicyError);
    expect(() => parsePolicy(text)).toThrow(/departments\.0\.inspectorsPerVisit/);
  });

  it('refuses a share above 1', () => {
    const rates = '{ blue: 1.5, yellow: 0, orange: 0, red: 0 }';
    const text = `departments:\n  - department: X\n    sectors: [mining]\n    strata: { A: ${rates}, B: ${rates}, C: ${rates}, D: ${rates} }\n`;
    expect(() => parsePolicy(text)).toThrow(/strata\.A\.blue/);
  });

  it('gives the same version for the same content however it is written', () => {
    const rates = '{ blue: 0.1, yellow: 0.2, orange: 0.3, red: 0.4 }';
    const a = parsePolicy(`departments:\n  - { department: X, sectors: [mining], strata: { A: ${rates}, B: ${rates}, C: ${rates}, D: ${rates} } }\n`);
    const b = parsePolicy(`# comment\nunratedAs: C\ndepartments:\n  - sectors: [mining]\n    department: X\n    strata: { D: ${rates}, C: ${rates}, B: ${rates}, A: ${rates} }\n`);
    expect(policyVersion(a)).toBe(policyVersion(b));
  });
});
