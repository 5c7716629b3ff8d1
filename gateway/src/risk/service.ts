import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { riskLevelRank, type CreditGrade, type RiskLevel, type Sector, type Severity } from '../domain/index.js';
import type { AppliedTransition, EventStore } from '../events/index.js';
import type { Logger } from '../observability/index.js';
import { projectRoot } from '../project-root.js';
import type { RuleTransition } from '../rules/index.js';
import type { StateDb } from '../storage/index.js';
import { computeRisk, type RiskInput, type RiskScore } from './compute.js';
import { loadRiskModel, RiskModelError, type RiskModel } from './model.js';

const DAY = 86_400_000;
// A rise to these levels raises (or escalates) the site's one RISK-01 event at this severity.
const SEVERITY_OF: Record<Exclude<RiskLevel, 'blue'>, Severity> = { yellow: 'warning', orange: 'major', red: 'critical' };


/** Telemetry fields that are marks, not readings. */
const NOT_READINGS = new Set(['count_flags', 'count_skewed', 'count_late']);
/** Flagged lines whose flags are read per site and evaluation (beyond: estimated, see invalidShare). */
const FLAGGED_LINES_READ = 20_000;
export interface RiskSite {
  id: string;
  sector: Sector;
  creditGrade: CreditGrade | null;
  devices: number;
}

export interface RiskServiceDeps {
  modelPath: string;
  clock: () => number;
  db: StateDb;
  events: EventStore;
  logger: Logger;
  sites: () => RiskSite[];
  /** Rule ids whose events mean a device went silent (kind `offline`). */
  offlineRules: () => ReadonlySet<string>;
  /** Acknowledgement limits by severity, to tell an overdue acknowledgement after the fact. */
  overdueLimits: Partial<Record<Severity, number>>;
  /** Visits that ended at the site in [since, until): conclusion and overdue rectifications. */
  inspections: (site: string, since: number, until: number) => RiskInput['inspections'];
  history: {
    enabled: boolean;
    writeLines(lines: string[]): Promise<void>;
    query(sql: string, params?: Record<string, string | number>): Promise<Array<{ series: Array<{ columns: string[]; values: unknown[][] }> }>>;
  };
  /** Records the early-warning event through the normal lifecycle and fan-out. */
  raise: (t: RuleTransition) => AppliedTransition | null;
}

export interface RiskView {
  ranking(): RiskScore[];
  site(id: string): RiskScore | undefined;
  trend(id: string, days: number): Promise<Array<{ at: number; score: number; level: string }>>;
  level(id: string): RiskLevel;
  model(): RiskModel;
}

const escapeTag = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);

/**
 * Scores every site each interval, keeps the latest in memory and the last level in SQLite
 * (a rise is a rise across restarts too), writes each score to the `risk` measurement, and
 * turns a rise of level into one supervision event (RISK-01): raised on the first rise,
 * escalated on further rises while it is unresolved, resolved by the system back at blue.
 */
export function createRiskService(deps: RiskServiceDeps) {
  const log = deps.logger;
  // A rules directory without a risk model (a custom rule set) gets the shipped one, said once.
  const shipped = join(projectRoot(), 'rules', 'risk.yaml');
  if (!existsSync(deps.modelPath) && existsSync(shipped)) log.warn({ path: deps.modelPath, using: shipped }, 'no risk model in the rules directory; using the shipped one');
  const path = existsSync(deps.modelPath) || !existsSync(shipped) ? deps.modelPath : shipped;
  let model = loadRiskModel(path);
  const latest = new Map<string, RiskScore>();
  const q = {
    get: deps.db.prepare('SELECT level FROM risk_levels WHERE site = ?'),
    set: deps.db.prepare('INSERT INTO risk_levels (site, level, score, at) VALUES (?, ?, ?, ?) ON CONFLICT (site) DO UPDATE SET level = excluded.level, score = excluded.score, at = excluded.at'),
  };
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;

  function reload(): { ok: true; version: string } | { ok: false; problems: string[] } {
    try {
      model = loadRiskModel(path);
      log.info({ version: model.version }, 'risk model loaded');
      return { ok: true, version: model.version };
    } catch (err) {
      if (!(err instanceof RiskModelError)) throw err;
      log.warn({ problems: err.problems }, 'risk model refused; the model in force is unchanged');
      return { ok: false, problems: err.problems };
    }
  }

  /** Offline share: device-time inside offline events, over the window times the device count. */
  function offlineShare(site: RiskSite, events: ReturnType<EventStore['list']>, from: number, now: number): number {
    const rules = deps.offlineRules();
    let down = 0;
    for (const e of events) {
      if (!rules.has(e.rule)) continue;
      const end = Math.min(e.resolvedAt ?? now, now);
      down += Math.max(0, end - Math.max(e.raisedAt, from));
    }
    return Math.min(1, down / ((now - from) * Math.max(1, site.devices)));
  }

  /**
   * Invalid share: readings flagged invalid over all readings of the site in the window, from
   * InfluxDB. Every stored value is a field of its telemetry line, so the readings are the sum
   * of the per-field counts; an invalid reading is one `<metric>:<flag>` entry of the line's
   * `flags` field (values that could not be stored, `:nonfinite`/`:reserved`, count on both
   * sides). The flags of up to FLAGGED_LINES_READ lines are read and counted exactly; past that,
   * the rest are estimated at the entries per line of those read (the count of flagged lines is
   * exact either way).
   */
  async function invalidShare(site: string, from: number, now: number): Promise<number | null> {
    if (!deps.history.enabled) return null;
    const where = `"site" = $site AND time >= ${Math.trunc(from)}ms AND time <= ${Math.trunc(now)}ms`;
    try {
      const [r] = await deps.history.query(`SELECT COUNT(*) FROM "telemetry" WHERE ${where}`, { site });
      const s = r?.series[0];
      if (!s) return 0;
      const counts = new Map(s.columns.map((c, i) => [c, Number(s.values[0]?.[i] ?? 0)]));
      const flaggedLines = counts.get('count_flags') ?? 0;
      const stored = [...counts].filter(([c]) => c.startsWith('count_') && !NOT_READINGS.has(c)).reduce((n, [, v]) => n + v, 0);
      if (flaggedLines === 0) return 0;
      const [f] = await deps.history.query(`SELECT "flags" FROM "telemetry" WHERE ${where} LIMIT ${FLAGGED_LINES_READ}`, { site });
      const rows = f?.series[0]?.values ?? [];
      let invalid = 0;
      let unstored = 0;
      for (const row of rows) {
        for (const entry of String(row[1] ?? '').split(' ')) {
          if (entry === '') continue;
          invalid++;
          if (entry.endsWith(':nonfinite') || entry.endsWith(':reserved')) unstored++;
        }
      }
      const scale = rows.length > 0 ? flaggedLines / rows.length : 0;
      const total = stored + unstored * scale;
      return total === 0 ? 0 : Math.min(1, (invalid * scale) / total);
    } catch (err) {
      log.warn({ err, site }, 'invalid share not available from InfluxDB');
      return null;
    }
  }

  async function inputOf(site: RiskSite, now: number): Promise<RiskInput> {
    const from = now - model.windowDays * DAY;
    const events = deps.events.list({ site: site.id, since: from, limit: 10_000 });
    const limit = (s: Severity) => deps.overdueLimits[s] ?? 0;
    return {
      site: site.id,
      creditGrade: site.creditGrade,
      events: events
        // The gateway's own warnings are not evidence about the site (and would feed back).
        .filter((e) => !e.suppressed && !e.item.startsWith('RISK-') && e.item !== 'SYSTEM')
        .map((e) => ({
          item: e.item,
          severity: e.severity,
          raisedAt: e.raisedAt,
          disposition: e.disposition,
          overdue: e.overdue || (limit(e.severity) > 0 && (e.acknowledgedAt ?? now) - e.raisedAt > limit(e.severity) && e.state !== 'open') || (e.state === 'open' && limit(e.severity) > 0 && now - e.raisedAt > limit(e.severity)),
        })),
      offlineShare: offlineShare(site, events, from, now),
      invalidShare: await invalidShare(site.id, from, now),
      inspections: deps.inspections(site.id, from, now + 1),
    };
  }

  /** Stores a score and acts on a change of level; synchronous, so one rise is one raise. */
  function apply(site: RiskSite, score: RiskScore): AppliedTransition | null {
    const before = ((q.get.get(site.id) as { level: RiskLevel } | undefined)?.level ?? 'blue') as RiskLevel;
    q.set.run(site.id, score.level, score.score, score.at);
    latest.set(site.id, score);
    deps.history
      .writeLines([`risk,site=${escapeTag(site.id)},sector=${site.sector},level=${score.level} score=${score.score},model="${score.modelVersion}" ${BigInt(score.at) * 1_000_000n}`])
      .catch((err) => log.error({ err }, 'outbox write failed'));
    const top = [...score.breakdown].sort((a, b) => b.points - a.points).slice(0, 3).map((l) => `${l.factor} ${l.points}`).join(', ');
    const base = { key: `risk|${site.id}`, rule: 'risk.level', ruleVersion: model.version, item: 'RISK-01', site: site.id, device: 'risk', sector: site.sector, value: score.score, at: score.at };
    if (riskLevelRank(score.level) > riskLevelRank(before)) {
      const level = score.level as Exclude<RiskLevel, 'blue'>;
      log.info({ site: site.id, from: before, to: level, score: score.score }, 'risk level rose');
      return deps.raise({
        ...base,
        type: 'raised',
        title: `risk_level: risk rose to ${level}`,
        severity: SEVERITY_OF[level],
        threshold: model.levels[level],
        message: `risk level rose from ${before} to ${level} (score ${score.score}; ${top})`,
      });
    }
    if (score.level === 'blue' && before !== 'blue') {
      return deps.raise({ ...base, type: 'resolved', title: 'risk_level: back to blue', severity: 'info', threshold: model.levels.yellow, message: `risk level fell to blue (score ${score.score})` });
    }
    return null;
  }

  const service = {
    reload,
    model: () => model,
    /** Scores one site now (pure computation over gathered input) and applies the result. */
    async evaluateSite(site: RiskSite, now: number): Promise<RiskScore> {
      const score = computeRisk(model, await inputOf(site, now), now);
      apply(site, score);
      return score;
    },
    async evaluateAll(now: number): Promise<number> {
      let n = 0;
      for (const s of deps.sites()) {
        await service.evaluateSite(s, now);
        n++;
      }
      return n;
    },
    watch() {
      const dir = dirname(deps.modelPath);
      if (!existsSync(dir)) return;
      try {
        watcher = watch(dir, (_e, name) => {
          if (name !== basename(deps.modelPath)) return;
          clearTimeout(debounce);
          debounce = setTimeout(reload, 300);
          debounce.unref();
        });
        watcher.on('error', (err) => log.warn({ err }, 'risk model watcher failed'));
      } catch (err) {
        log.warn({ err }, 'cannot watch the risk model; restart to reload it');
      }
    },
    close() {
      clearTimeout(debounce);
      watcher?.close();
    },
    view(): RiskView {
      return {
        ranking: () => [...latest.values()].sort((a, b) => b.score - a.score || (a.site < b.site ? -1 : 1)),
        site: (id) => latest.get(id),
        level: (id) => latest.get(id)?.level ?? (((q.get.get(id) as { level: RiskLevel } | undefined)?.level ?? 'blue') as RiskLevel),
        model: () => model,
        async trend(id, days) {
          if (!deps.history.enabled) return [];
          const [r] = await deps.history.query(`SELECT "score", "level" FROM "risk" WHERE "site" = $site AND time >= ${Math.trunc(deps.clock() - days * DAY)}ms ORDER BY time ASC LIMIT 10000`, { site: id });
          return (r?.series[0]?.values ?? []).map((v) => ({ at: Number(v[0]), score: Number(v[1]), level: String(v[2]) }));
        },
      };
    },
  };
  return service;
}

export type RiskService = ReturnType<typeof createRiskService>;
