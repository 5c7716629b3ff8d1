import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { RegistryError } from '../registry/index.js';
import { InfluxError } from '../storage/index.js';
import type { BacktestResult } from './backtest-schema.js';
import { runBacktestJob } from './backtest-job.js';
import type { CommandIo } from './cli-io.js';
import { formatProblem, RuleSetError } from './loader.js';

export const backtestHelp = `Usage: npm run rules -- backtest --from <time> --to <time> --rules <candidate dir> [options]
回测：用历史数据比较现行规则与候选规则。

Streams the period's stored readings and detections out of InfluxDB (in bounded pages, for
any length of period), replays them through the rules in force and through the candidate set
with virtual time, and reports per rule and site: events no longer raised, new events,
changes of time-to-raise and severity, and against past events' dispositions the false
alarms the change would have avoided and the confirmed violations it would have missed.
Progress goes to stderr.

  --from <time>       start of the period: ISO 8601 or epoch ms (required)
  --to <time>         end of the period, exclusive (required)
  --rules <dir>       candidate rule directory (required)
  --current <dir>     rules in force (default GATEWAY_RULES_DIR, ./rules)
  --registry <file>   registry YAML (default GATEWAY_REGISTRY, ./registry.yaml)
  --data <dir>        gateway data dir whose state.db holds past events (default GATEWAY_DATA_DIR)
  --influx <url>      InfluxDB URL (default INFLUX_URL; INFLUX_* variables give database and credentials)
  --format text|json  json: one object; its perRule list holds rule, before, after,
                      avoidedFalseAlarms and missedConfirmed per rule (default text)
  --page-size <n>     most points of one measurement per query (default 5000)
`;

function parseTime(name: string, s: string | undefined): number {
  if (s === undefined) throw new UsageError(`backtest needs --${name}`);
  const t = /^\d{1,16}$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new UsageError(`--${name} "${s}" is neither an ISO 8601 time nor epoch milliseconds`);
  return t;
}

class UsageError extends Error {}

const iso = (t: number) => new Date(t).toISOString();

/** The human-readable report. */
export function formatBacktest(r: BacktestResult): string {
  const lines = [`backtest ${iso(r.from)} .. ${iso(r.to)}: ${r.points} points, ${r.messages} messages replayed`];
  const rows = r.perRule.map((p) => [p.rule, p.before, p.after, p.removed, p.added, p.earlier, p.later, p.severityUp, p.severityDown, p.avoidedFalseAlarms, p.missedConfirmed]);
  const head = ['rule', 'before', 'after', 'removed', 'added', 'earlier', 'later', 'sev+', 'sev-', 'avoidedFA', 'missedCV'];
  const t = r.totals;
  const all = [head, ...rows, ['(all rules)', t.before, t.after, t.removed, t.added, t.earlier, t.later, t.severityUp, t.severityDown, t.avoidedFalseAlarms, t.missedConfirmed]];
  const widths = head.map((_, i) => Math.max(...all.map((row) => String(row[i]).length)));
  for (const row of all) lines.push(row.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  '));
  lines.push(`false alarms avoided (避免的误报): ${t.avoidedFalseAlarms} of ${t.pastFalseAlarms} past false alarms`);
  for (const e of r.avoidedFalseAlarms) lines.push(`  ${e.id}  ${e.rule}  ${e.site}  ${iso(e.raisedAt)}`);
  lines.push(`confirmed violations missed (漏报的确认违规): ${t.missedConfirmed} of ${t.pastConfirmed} past confirmed violations${t.missedConfirmed > 0 ? '  <-- check before approving' : ''}`);
  for (const e of r.missedConfirmed) lines.push(`  ${e.id}  ${e.rule}  ${e.site}  ${iso(e.raisedAt)}`);
  if (t.unreproduced > 0) lines.push(`${t.unreproduced} past events were not raised again by the rules in force from the stored data (not counted above)`);
  return `${lines.join('\n')}\n`;
}

/** `backtest ...`: resolves to the exit code. */
export async function startBacktest(args: string[], io: CommandIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      rules: { type: 'string' },
      current: { type: 'string' },
      registry: { type: 'string' },
      data: { type: 'string' },
      influx: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'page-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(backtestHelp);
    return 0;
  }
  try {
    const from = parseTime('from', values.from);
    const to = parseTime('to', values.to);
    if (!(to > from)) throw new UsageError('--to must be after --from');
    if (!values.rules) throw new UsageError('backtest needs --rules <candidate dir>');
    if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format is text or json, not "${values.format}"`);
    const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size']);
    if (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize >= 10 && pageSize <= 100_000)) throw new UsageError('--page-size is a whole number from 10 to 100000');
    const config = loadConfig(env);
    const url = values.influx ?? config.INFLUX_URL;
    if (!url) throw new UsageError('backtest reads history from InfluxDB: give --influx <url> or set INFLUX_URL');
    let lastProgress = 0;
    const { result, warnings } = await runBacktestJob(
      {
        from,
        to,
        candidateDir: values.rules,
        current: { dir: values.current ?? config.GATEWAY_RULES_DIR },
        registryPath: values.registry ?? config.GATEWAY_REGISTRY,
        stateDbPath: join(values.data ?? config.GATEWAY_DATA_DIR, 'state.db'),
        influx: { url, api: config.INFLUX_API, token: config.INFLUX_TOKEN, org: config.INFLUX_ORG, bucket: config.INFLUX_BUCKET, database: config.INFLUX_DATABASE, retentionPolicy: config.INFLUX_RETENTION_POLICY, username: config.INFLUX_USERNAME, password: config.INFLUX_PASSWORD },
        pageSize,
      },
      (p) => {
        const now = Date.now();
        if (now - lastProgress < 1000) return;
        lastProgress = now;
        io.err(`backtest: at ${iso(p.at)} (${(((p.at - p.from) / (p.to - p.from)) * 100).toFixed(1)} %), ${p.points} points\n`);
      },
    );
    for (const w of warnings) io.err(`warning: ${w}\n`);
    io.err(`backtest: done, ${result.points} points\n`);
    io.out(values.format === 'json' ? `${JSON.stringify(result)}\n` : formatBacktest(result));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${backtestHelp}`);
      return 2;
    }
    if (err instanceof RuleSetError) {
      for (const p of err.problems) io.err(`${formatProblem(p)}\n`);
      return 1;
    }
    if (err instanceof RegistryError || err instanceof ConfigError || err instanceof InfluxError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}
