import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BacktestResult } from './backtest-schema.js';
import { ruleSetVersion, type BacktestJob, type BacktestJobResult } from './backtest-job.js';
import { BacktestFailed } from './backtest-thread.js';
import { loadRuleSet, type RuleProblem, type RuleSet } from './loader.js';

// Backtests run from the API and the approval that lets a rule change go live: who ran which
// backtest and what it found, who approved it, and who applied it, each in the audit trail.
// One backtest runs at a time (each streams the whole period); records are kept in the
// state database's key-value table so they outlive a restart.

export interface BacktestRecord {
  id: string;
  state: 'running' | 'done' | 'failed';
  from: number;
  to: number;
  /** 'rules directory' (the files on disk now) or 'uploaded' (files sent with the request over it). */
  candidate: 'rules directory' | 'uploaded';
  ranBy: string;
  startedAt: number;
  finishedAt: number | null;
  progress: { at: number; points: number } | null;
  candidateVersion: string | null;
  result: BacktestResult | null;
  warnings: string[];
  error: string | null;
  problems: RuleProblem[] | null;
  approvedBy: string | null;
  approvedAt: number | null;
  approvalNote: string | null;
  appliedBy: string | null;
  appliedAt: number | null;
}

export interface BacktestServiceDeps {
  /** The rule directory the gateway loads (and a candidate defaults to). */
  rulesDir: string;
  /** Where uploaded candidates are laid out. */
  workDir: string;
  /** What every job shares: registry, state database, InfluxDB. */
  baseJob: () => Pick<BacktestJob, 'registryPath' | 'stateDbPath' | 'influx'>;
  /** The rule set in force. */
  current: () => RuleSet;
  run: (job: BacktestJob, onProgress: (p: { at: number; points: number }) => void) => Promise<BacktestJobResult>;
  reload: () => { ok: true; rules: number; changed: number } | { ok: false; problems: RuleProblem[] };
  /** Appends a row of kind `rules` to the audit trail. */
  audit: (row: { type: 'backtest' | 'approved' | 'applied'; actor: string; at: number; note: string; detail: unknown }) => void;
  kv: { get(key: string): string | undefined; set(key: string, value: string): void };
  clock: () => number;
}

export class BacktestRefused extends Error {
  constructor(
    readonly kind: 'busy' | 'not_found' | 'conflict' | 'forbidden',
    message: string,
  ) {
    super(message);
    this.name = 'BacktestRefused';
  }
}

const KEY = (id: string) => `backtest:${id}`;
const INDEX = 'backtest-index';
const KEEP = 50;

export function summaryOf(r: BacktestResult): string {
  const t = r.totals;
  return `before ${t.before}, after ${t.after} events (${t.removed} no longer raised, ${t.added} new); ${t.avoidedFalseAlarms} of ${t.pastFalseAlarms} past false alarms avoided; ${t.missedConfirmed} of ${t.pastConfirmed} confirmed violations missed`;
}

export type BacktestService = ReturnType<typeof createBacktestService>;

export function createBacktestService(deps: BacktestServiceDeps) {
  let running: BacktestRecord | null = null;

  const save = (r: BacktestRecord) => deps.kv.set(KEY(r.id), JSON.stringify(r));
  const index = (): string[] => JSON.parse(deps.kv.get(INDEX) ?? '[]') as string[];
  const get = (id: string): BacktestRecord | undefined => {
    if (running?.id === id) return running;
    const raw = deps.kv.get(KEY(id));
    return raw ? (JSON.parse(raw) as BacktestRecord) : undefined;
  };
  // A backtest cut short by a stop of the gateway never finishes: say so instead of "running".
  for (const id of index()) {
    const r = get(id);
    if (r?.state === 'running') save({ ...r, state: 'failed', error: 'the gateway stopped while the backtest ran', finishedAt: r.startedAt });
  }
  const require = (id: string) => {
    const r = get(id);
    if (!r) throw new BacktestRefused('not_found', `no backtest ${id}`);
    return r;
  };

  function candidateDir(id: string, files: Record<string, string> | undefined): { dir: string; cleanup: () => void } {
    if (!files) return { dir: deps.rulesDir, cleanup: () => undefined };
    // The uploaded files over a copy of the rule directory: a change to one file is a whole set.
    const dir = join(deps.workDir, id);
    mkdirSync(deps.workDir, { recursive: true });
    cpSync(deps.rulesDir, dir, { recursive: true, filter: (src) => !/\/\.[^/]*$/.test(src) });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  return {
    /** Starts a backtest; refuses while another runs. */
    start(req: { from: number; to: number; files?: Record<string, string> }, by: string): BacktestRecord {
      if (running) throw new BacktestRefused('busy', `backtest ${running.id} is still running; one runs at a time`);
      const id = `bt-${deps.clock().toString(36)}-${randomBytes(4).toString('hex')}`;
      const record: BacktestRecord = { id, state: 'running', from: req.from, to: req.to, candidate: req.files ? 'uploaded' : 'rules directory', ranBy: by, startedAt: deps.clock(), finishedAt: null, progress: null, candidateVersion: null, result: null, warnings: [], error: null, problems: null, approvedBy: null, approvedAt: null, approvalNote: null, appliedBy: null, appliedAt: null };
      running = record;
      const ids = [id, ...index()];
      deps.kv.set(INDEX, JSON.stringify(ids.slice(0, KEEP)));
      save(record);
      const { dir, cleanup } = candidateDir(id, req.files);
      const job: BacktestJob = { ...deps.baseJob(), from: req.from, to: req.to, candidateDir: dir, current: { set: deps.current() } };
      void deps
        .run(job, (p) => (record.progress = p))
        .then((out) => {
          Object.assign(record, { state: 'done', result: out.result, candidateVersion: out.candidateVersion, warnings: out.warnings });
          deps.audit({ type: 'backtest', actor: by, at: deps.clock(), note: `backtest ${id} of ${new Date(req.from).toISOString()} .. ${new Date(req.to).toISOString()}: ${summaryOf(out.result)}`, detail: { backtest: id, from: req.from, to: req.to, candidate: record.candidate, candidateVersion: out.candidateVersion, totals: out.result.totals } });
        })
        .catch((err: unknown) => {
          Object.assign(record, { state: 'failed', error: (err as Error).message, problems: err instanceof BacktestFailed ? (err.problems ?? null) : null });
        })
        .finally(() => {
          record.finishedAt = deps.clock();
          save(record);
          running = null;
          cleanup();
        });
      return record;
    },

    get,

    list(): BacktestRecord[] {
      return index()
        .map((id) => get(id))
        .filter((r): r is BacktestRecord => r !== undefined)
        .map((r) => ({ ...r, result: null }));
    },

    /** A second person approves what a finished backtest found. */
    approve(id: string, by: string, note: string): BacktestRecord {
      const r = require(id);
      if (r.state !== 'done' || !r.result) throw new BacktestRefused('conflict', `backtest ${id} is ${r.state}: only a finished backtest can be approved`);
      if (r.approvedBy) throw new BacktestRefused('conflict', `backtest ${id} was already approved by ${r.approvedBy}`);
      if (r.ranBy === by) throw new BacktestRefused('forbidden', `${by} ran backtest ${id}; another person must approve it`);
      Object.assign(r, { approvedBy: by, approvedAt: deps.clock(), approvalNote: note });
      save(r);
      deps.audit({ type: 'approved', actor: by, at: r.approvedAt!, note: `approved backtest ${id} (run by ${r.ranBy}): ${summaryOf(r.result)}${note ? ` — ${note}` : ''}`, detail: { backtest: id, ranBy: r.ranBy, candidateVersion: r.candidateVersion, totals: r.result.totals } });
      return r;
    },

    /** Reloads the rules when the directory on disk is exactly the approved candidate. */
    apply(id: string, by: string): BacktestRecord & { rules: number; changed: number } {
      const r = require(id);
      if (!r.approvedBy) throw new BacktestRefused('conflict', `backtest ${id} is not approved`);
      if (r.appliedBy) throw new BacktestRefused('conflict', `backtest ${id} was already applied by ${r.appliedBy}`);
      let onDisk: string;
      try {
        onDisk = ruleSetVersion(loadRuleSet(deps.rulesDir));
      } catch (err) {
        throw new BacktestRefused('conflict', `the rule directory does not load: ${(err as Error).message}`);
      }
      if (onDisk !== r.candidateVersion) throw new BacktestRefused('conflict', `the rule directory is not the candidate backtest ${id} approved (put the approved files in place, or run a new backtest)`);
      const reload = deps.reload();
      if (!reload.ok) throw new BacktestRefused('conflict', `the reload was refused: ${reload.problems.map((p) => p.reason).join('; ')}`);
      Object.assign(r, { appliedBy: by, appliedAt: deps.clock() });
      save(r);
      deps.audit({ type: 'applied', actor: by, at: r.appliedAt!, note: `rules reloaded from backtest ${id}, approved by ${r.approvedBy}: ${reload.rules} rules, ${reload.changed} changed`, detail: { backtest: id, ranBy: r.ranBy, approvedBy: r.approvedBy, candidateVersion: r.candidateVersion } });
      return { ...r, rules: reload.rules, changed: reload.changed };
    },
  };
}
