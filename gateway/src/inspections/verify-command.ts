import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../rules/cli-io.js';
import { verifyExport } from './export.js';

export const verifyHelp = `verify <exported plan.json> [--json]
  核验抽查计划 / Recompute a published inspection draw from its seed, pool and policy and say
  whether it matches the published draw byte for byte. The file is what
  GET /public/inspections/plans/<id> answers with "Accept: application/json" (use - for stdin).
  Exit status: 0 the draw matches, 1 it does not (or the plan is not drawn yet), 2 bad usage.
  --json   print the checks as JSON`;

export function startVerify(argv: string[], io: CommandIo, readStdin: () => string = () => readFileSync(0, 'utf8')): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return io.out(`${verifyHelp}\n`), 0;
  if (positionals.length !== 1) return io.err(`verify needs exactly one file\n\n${verifyHelp}\n`), 2;
  const file = positionals[0]!;
  let raw: unknown;
  try {
    raw = JSON.parse(file === '-' ? readStdin() : readFileSync(file, 'utf8'));
  } catch (err) {
    io.err(`cannot read ${file}: ${(err as Error).message}\n`);
    return 2;
  }
  const result = verifyExport(raw);
  if (values.json) {
    io.out(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    for (const c of result.checks) io.out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}\n`);
    io.out(result.ok ? '一致 / MATCH: the published draw is what the seed, pool and policy give.\n' : '不一致 / MISMATCH: the published plan does not verify.\n');
  }
  return result.ok ? 0 : 1;
}
