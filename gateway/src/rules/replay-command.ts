import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadRegistry, RegistryError } from '../registry/index.js';
import type { CommandIo } from './cli-io.js';
import { compileRuleSet } from './compile.js';
import { formatProblem, loadRuleSet, RuleSetError } from './loader.js';
import { replayDetailed } from './replay.js';
import type { RuleTransition } from './types.js';

export const replayHelp = `Usage: npm run rules -- replay --rules <dir> --registry <file> --input <file.ndjson> [--expect]

Replays recorded messages through the rules on a virtual clock. Each input line is
{"topic": "sites/{site}/devices/{device}/{channel}", "payload": {...} or "...", "receivedAt": <ms>}.
Messages are decoded as the gateway decodes them, with the registry device named by the
topic. Transitions go to stdout as NDJSON; a summary per rule and severity to stderr.

  --rules <dir>       rule directory (default ./rules)
  --registry <file>   registry YAML
  --input <file>      NDJSON recording
  --expect            start every registry device's offline clock at the first line
`;

export function summarize(transitions: RuleTransition[]): string {
  const rows = new Map<string, { rule: string; severity: string; raised: number; escalated: number; resolved: number }>();
  for (const t of transitions) {
    const k = `${t.rule}\u0000${t.severity}`;
    let row = rows.get(k);
    if (!row) rows.set(k, (row = { rule: t.rule, severity: t.severity, raised: 0, escalated: 0, resolved: 0 }));
    row[t.type]++;
  }
  const list = [...rows.values()].sort((a, b) => a.rule.localeCompare(b.rule) || a.severity.localeCompare(b.severity));
  const width = Math.max(4, ...list.map((r) => r.rule.length));
  const lines = [`${'rule'.padEnd(width)}  severity  raised  escalated  resolved`];
  for (const r of list) {
    lines.push(`${r.rule.padEnd(width)}  ${r.severity.padEnd(8)}  ${String(r.raised).padStart(6)}  ${String(r.escalated).padStart(9)}  ${String(r.resolved).padStart(8)}`);
  }
  lines.push(`${transitions.length} transitions`);
  return `${lines.join('\n')}\n`;
}

/** `replay --rules --registry --input`: returns the exit code. */
export function startReplay(args: string[], io: CommandIo): number {
  const { values } = parseArgs({
    args,
    options: {
      rules: { type: 'string', default: 'rules' },
      registry: { type: 'string' },
      input: { type: 'string' },
      expect: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(replayHelp);
    return 0;
  }
  if (!values.registry || !values.input) {
    io.err(`replay needs --registry and --input\n\n${replayHelp}`);
    return 2;
  }
  try {
    const rules = compileRuleSet(loadRuleSet(values.rules));
    const registry = loadRegistry(values.registry);
    const lines = readFileSync(values.input, 'utf8').split('\n');
    const result = replayDetailed(rules, registry, lines, { expectRegistry: values.expect });
    for (const t of result.transitions) io.out(`${JSON.stringify(t)}\n`);
    for (const s of result.skipped) io.err(`${values.input}:${s.line}: skipped: ${s.reason}\n`);
    io.err(summarize(result.transitions));
    return 0;
  } catch (err) {
    if (err instanceof RuleSetError) {
      for (const p of err.problems) io.err(`${formatProblem(p)}\n`);
      return 1;
    }
    if (err instanceof RegistryError) {
      io.err(`${err.message}\n`);
      return 1;
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}
