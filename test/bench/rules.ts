// Scenario 4, rule cost: runs the rule-engine microbenchmark (rules.bench.ts, unchanged) in a
// process of its own and reads its table back.
import { spawnTs } from './proc.js';
import type { BenchOptions } from './common.js';

export interface RuleRow {
  order: string;
  /** As printed: a count, possibly with a note ("10,000 (scoped elsewhere)"). */
  rules: string;
  compileMs: number;
  readings: number;
  readingsPerSecond: number;
  nsPerReading: number;
  rulesMetPerReading: number;
  transitions: number;
}

export interface RulesResult {
  header: string;
  rows: RuleRow[];
}

const num = (s: string) => Number(s.replace(/,/g, ''));

export async function runRules(o: BenchOptions): Promise<RulesResult> {
  const seconds = o.quick ? '0.5' : '2';
  o.log(`rules: test/bench/rules.bench.ts, ${seconds} s per row`);
  const child = spawnTs('test/bench/rules.bench.ts', { env: { BENCH_SECONDS: seconds }, echo: o.verbose });
  // Bounded: six rows of a few seconds each; a stuck run is killed after 5 minutes.
  const timer = setTimeout(() => void child.stop('SIGKILL'), 300_000);
  const r = await child.exited;
  clearTimeout(timer);
  if (r.code !== 0) throw new Error(`rules.bench.ts exited with ${r.code ?? r.signal}:\n${child.output().slice(-2000)}`);
  const lines = child.output().trim().split('\n');
  const header = lines.find((l) => l.startsWith('rule engine')) ?? '';
  const rows: RuleRow[] = [];
  for (const line of lines) {
    const c = line.trim().split(/\s{2,}/);
    if (c.length !== 8 || !/^(per message|random)$/.test(c[0]!)) continue;
    rows.push({
      order: c[0]!,
      rules: c[1]!,
      compileMs: num(c[2]!),
      readings: num(c[3]!),
      readingsPerSecond: num(c[4]!),
      nsPerReading: num(c[5]!),
      rulesMetPerReading: num(c[6]!),
      transitions: num(c[7]!),
    });
  }
  if (rows.length === 0) throw new Error(`rules.bench.ts printed no rows:\n${child.output().slice(-2000)}`);
  return { header, rows };
}
