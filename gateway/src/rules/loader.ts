import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { catalogueSchema, type CatalogueItem } from './catalogue.js';
import { ruleFileSchema, ruleSchema, type Rule } from './schema.js';
import { ruleVersion } from './version.js';

export const CATALOGUE_FILE = 'catalogue.yaml';
/** Files in the rules directory that are not rule files (each has its own schema and loader). */
export const NOT_RULE_FILES = new Set(['inspection-policy.yaml', 'risk.yaml']);

export interface RuleProblem {
  file: string;
  ruleId?: string;
  reason: string;
}

export class RuleSetError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(`rule set is invalid:\n  - ${problems.map(formatProblem).join('\n  - ')}`);
    this.name = 'RuleSetError';
  }
}

export function formatProblem(p: RuleProblem): string {
  return p.ruleId === undefined ? `${p.file}: ${p.reason}` : `${p.file}: ${p.ruleId}: ${p.reason}`;
}

/** A parsed rule with where it came from and the version its events carry. */
export type LoadedRule = Rule & { version: string; file: string };

export interface RuleSet {
  catalogue: CatalogueItem[];
  /** In file-name order, then file order: the order transitions come out in. */
  rules: LoadedRule[];
}

export interface RuleSource {
  /** File name shown in problems, e.g. "hazchem.yaml". */
  name: string;
  text: string;
}

function issueText(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

function parseYaml(source: RuleSource, problems: RuleProblem[]): unknown {
  const doc = parseDocument(source.text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) problems.push({ file: source.name, reason: `not valid YAML: ${e.message.split('\n')[0]}` });
    return undefined;
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/**
 * Parses a catalogue and rule files held in memory. Collects every problem before
 * throwing, so one `check` run shows all that is wrong.
 */
export function parseRuleSet(catalogueSource: RuleSource | null, sources: RuleSource[]): RuleSet {
  const problems: RuleProblem[] = [];
  const catalogue: CatalogueItem[] = [];
  let catalogueOk = false;
  if (catalogueSource === null) {
    problems.push({ file: CATALOGUE_FILE, reason: 'missing: every rule set needs its catalogue of supervision items' });
  } else {
    const raw = parseYaml(catalogueSource, problems);
    if (raw !== undefined) {
      const parsed = catalogueSchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push({ file: catalogueSource.name, reason: issueText(issue) });
      } else {
        const seen = new Set<string>();
        for (const item of parsed.data.items) {
          if (seen.has(item.code)) problems.push({ file: catalogueSource.name, reason: `item code "${item.code}" appears twice` });
          seen.add(item.code);
          catalogue.push(item);
        }
        catalogueOk = true;
      }
    }
  }
  const codes = new Set(catalogue.map((i) => i.code));
  const firstFile = new Map<string, string>();
  const rules: LoadedRule[] = [];
  for (const source of sources) {
    const raw = parseYaml(source, problems);
    if (raw === undefined) continue;
    const file = ruleFileSchema.safeParse(raw);
    if (!file.success) {
      for (const issue of file.error.issues) problems.push({ file: source.name, reason: issueText(issue) });
      continue;
    }
    file.data.rules.forEach((entry, index) => {
      const rawId = (entry as { id?: unknown } | null)?.id;
      const ruleId = typeof rawId === 'string' ? rawId : `#${index + 1}`;
      const parsed = ruleSchema.safeParse(entry);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push({ file: source.name, ruleId, reason: issueText(issue) });
        return;
      }
      const rule = parsed.data;
      const before = firstFile.get(rule.id);
      if (before !== undefined) {
        problems.push({ file: source.name, ruleId, reason: `duplicate rule id: already defined in ${before}` });
        return;
      }
      firstFile.set(rule.id, source.name);
      // The catalogue is the legal scope of supervision: a rule outside it is refused.
      if (catalogueOk && !codes.has(rule.item)) {
        problems.push({ file: source.name, ruleId, reason: `item "${rule.item}" is not in the catalogue: no supervision outside the list` });
        return;
      }
      rules.push({ ...rule, version: ruleVersion(rule), file: source.name });
    });
  }
  if (problems.length > 0) throw new RuleSetError(problems);
  return { catalogue, rules };
}

/** Reads `catalogue.yaml` and every other `*.yaml` / `*.yml` file of `dir` (file-name order). */
export function loadRuleSet(dir: string): RuleSet {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !NOT_RULE_FILES.has(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    throw new RuleSetError([{ file: dir, reason: `cannot read the rule directory: ${(err as Error).message}` }]);
  }
  const problems: RuleProblem[] = [];
  const read = (name: string): RuleSource | null => {
    try {
      return { name, text: readFileSync(join(dir, name), 'utf8') };
    } catch (err) {
      problems.push({ file: name, reason: `cannot read: ${(err as Error).message}` });
      return null;
    }
  };
  const catalogue = names.includes(CATALOGUE_FILE) ? read(CATALOGUE_FILE) : null;
  const sources = names
    .filter((n) => basename(n) !== CATALOGUE_FILE)
    .map(read)
    .filter((s): s is RuleSource => s !== null);
  let set: RuleSet;
  try {
    set = parseRuleSet(catalogue, sources);
  } catch (err) {
    if (err instanceof RuleSetError) throw new RuleSetError([...problems, ...err.problems]);
    throw err;
  }
  if (problems.length > 0) throw new RuleSetError(problems);
  return set;
}
