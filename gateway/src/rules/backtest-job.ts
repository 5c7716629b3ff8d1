// One backtest as the command line and the API's worker thread run it: load the two rule
// sets and the registry, read the past events' dispositions from the state database (read
// only: the gateway may be running), connect to InfluxDB and stream the period through both.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { readQualityEvents } from '../quality/index.js';
import { loadRegistry } from '../registry/index.js';
import { createInfluxQuery, detectInfluxApi, type InfluxApi, type InfluxConnection } from '../storage/index.js';
import type { BacktestResult } from './backtest-schema.js';
import { runBacktest, type BacktestProgress } from './backtest-runner.js';
import type { PastEvent } from './backtest.js';
import { compileRuleSet } from './compile.js';
import { loadRuleSet, type RuleSet } from './loader.js';

export interface BacktestJob {
  from: number;
  to: number;
  /** The candidate rule directory. */
  candidateDir: string;
  /** The rules in force: a directory, or the set the gateway holds. */
  current: { dir: string } | { set: RuleSet };
  registryPath: string;
  /** The gateway's state.db (past events and their dispositions); null or absent: none joined. */
  stateDbPath: string | null;
  influx: Omit<InfluxConnection, 'api'> & { api?: InfluxApi };
  pageSize?: number;
}

export interface BacktestJobResult {
  result: BacktestResult;
  /** Version of every candidate rule (`id@version`, sorted): what an approval approves. */
  candidateVersion: string;
  warnings: string[];
}

/** The events people judged, from a state database opened read-only. */
export function readPastEvents(path: string | null, from: number, to: number, warnings: string[]): PastEvent[] {
  if (path === null || !existsSync(path)) {
    warnings.push(`no state database${path ? ` at ${path}` : ''}: past dispositions are not joined`);
    return [];
  }
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return readQualityEvents(db, { from, to }).filter((e) => e.raisedAt >= from);
  } finally {
    db.close();
  }
}

/** `id@version` of every rule of a set, sorted and joined: identifies the set for approvals. */
export function ruleSetVersion(set: RuleSet): string {
  return set.rules
    .map((r) => `${r.id}@${r.version}`)
    .sort()
    .join(',');
}

export async function runBacktestJob(job: BacktestJob, onProgress?: (p: BacktestProgress) => void, signal?: AbortSignal): Promise<BacktestJobResult> {
  const warnings: string[] = [];
  const candidateSet = loadRuleSet(job.candidateDir);
  const current = compileRuleSet('set' in job.current ? job.current.set : loadRuleSet(job.current.dir));
  const candidate = compileRuleSet(candidateSet);
  const registry = loadRegistry(job.registryPath);
  const past = readPastEvents(job.stateDbPath, job.from, job.to, warnings);
  const api = await detectInfluxApi(job.influx.url, job.influx.api);
  const query = createInfluxQuery({ ...job.influx, api });
  const result = await runBacktest({ query, registry, current, candidate, past, from: job.from, to: job.to, pageSize: job.pageSize, onProgress, signal });
  if (result.skippedPoints > 0) warnings.push(`${result.skippedPoints} stored points came from devices not in the registry and were not replayed`);
  return { result, candidateVersion: ruleSetVersion(candidateSet), warnings };
}
