import { parseArgs } from 'node:util';
import type { CommandIo } from './cli-io.js';
import { formatProblem, loadRuleSet, RuleSetError } from './loader.js';

export const checkHelp = `Usage: npm run rules -- check [dir]

Validates a rule directory (default ./rules): catalogue.yaml and every other *.yaml file.
Prints each problem as "file: rule id: reason" and exits 1 if there is any; otherwise
prints how many rules and catalogue items were loaded.
`;

/** `check [dir]`: returns the exit code. */
export function startCheck(args: string[], io: CommandIo): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.out(checkHelp);
    return 0;
  }
  const dir = positionals[0] ?? 'rules';
  try {
    const set = loadRuleSet(dir);
    const kinds = new Map<string, number>();
    for (const r of set.rules) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
    const byKind = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
    io.out(`${dir}: ${set.rules.length} rules (${byKind}), ${set.catalogue.length} catalogue items: ok\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof RuleSetError)) throw err;
    for (const p of err.problems) io.out(`${formatProblem(p)}\n`);
    io.err(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} in ${dir}\n`);
    return 1;
  }
}
