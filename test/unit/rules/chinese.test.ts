import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../../gateway/src/rules/index.js';

// The console and public pages show the shipped rules and catalogue in Chinese, with the
// English beside: a rule or item added without its Chinese would show English only.
const set = loadRuleSet(resolve('rules'));

describe('the shipped rules and catalogue in Chinese', () => {
  it('give every rule a Chinese title', () => {
    expect(set.rules.filter((r) => !r.title_zh).map((r) => r.id)).toEqual([]);
  });

  it('give every catalogue item its name, legal basis and department in Chinese', () => {
    expect(set.catalogue.filter((i) => !i.name_zh || !i.basis_zh || !i.department_zh).map((i) => i.code)).toEqual([]);
  });
});
