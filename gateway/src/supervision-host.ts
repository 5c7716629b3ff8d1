import { join } from 'node:path';
import type { SupervisionApi } from './api/index.js';
import type { Severity } from './domain/index.js';
import type { AppliedTransition, AuditLog, EventStore } from './events/index.js';
import type { History } from './history.js';
import { conclusionOf, createInspections, loadPolicy, POLICY_FILE, type InspectionRecord } from './inspections/index.js';
import type { Logger } from './observability/index.js';
import { createProfileStore } from './enterprise/index.js';
import type { Registry } from './registry/index.js';
import { createRiskService, RISK_FILE } from './risk/index.js';
import type { CompiledRules, RuleTransition } from './rules/index.js';
import type { StateDb } from './storage/index.js';
import type { UserStore } from './users/index.js';

export interface SupervisionHostDeps {
  db: StateDb;
  audit: AuditLog;
  events: EventStore;
  users: UserStore;
  history: History;
  clock: () => number;
  logger: Logger;
  rulesDir: string;
  registry: () => Registry;
  rules: () => CompiledRules;
  overdueLimits: Partial<Record<Severity, number>>;
  riskIntervalMs: number;
  publicPerMinute: number;
  /** Records a gateway-made transition through the lifecycle, storage and fan-out. */
  raise: (t: RuleTransition) => AppliedTransition | null;
}

/** Visits (grouped by plan) with their conclusion, for the risk model. */
function visitsOf(records: InspectionRecord[]) {
  const byPlan = new Map<string, InspectionRecord[]>();
  for (const r of records) byPlan.set(r.planId, [...(byPlan.get(r.planId) ?? []), r]);
  return [...byPlan.values()].map((rs) => ({
    endedAt: Math.max(...rs.map((r) => r.endedAt)),
    conclusion: conclusionOf(rs.map((r) => r.outcome)),
    overdueRectifications: rs.filter((r) => r.overdue).length,
  }));
}

/**
 * Enterprise profiles, inspections and risk (issue 16) as one component: what it needs comes
 * in, its API face and its periodic tasks go out.
 */
export function createSupervisionHost(deps: SupervisionHostDeps) {
  const log = deps.logger;
  const profiles = createProfileStore(deps.db, deps.audit);
  const departments = (): string[] => [...new Set([...deps.rules().items.values()].map((i) => i.department))].sort();
  const sites = () => {
    const reg = deps.registry();
    return profiles.all(reg.sites).map((p) => ({ profile: p, entry: reg.site(p.site)! }));
  };
  let risk: ReturnType<typeof createRiskService> | undefined;
  const inspections = createInspections({
    db: deps.db,
    audit: deps.audit,
    clock: deps.clock,
    logger: log.child({ part: 'inspections' }),
    policy: () => loadPolicy(join(deps.rulesDir, POLICY_FILE)),
    sources: () => ({
      sites: sites().map(({ profile, entry }) => ({
        id: entry.id,
        name: entry.name,
        sector: entry.sector,
        region: entry.region ?? null,
        creditGrade: profile.creditGrade,
        keySupervision: profile.keySupervision,
        departments: profile.departments,
        riskLevel: risk?.view().level(entry.id) ?? 'blue',
      })),
      inspectors: deps.users.list().filter((u) => u.role === 'inspector' && !u.disabled).map((u) => ({ id: u.name, departments: u.departments ?? [], conflicts: u.conflicts })),
      catalogue: [...deps.rules().items.values()].map((i) => ({ code: i.code, sector: i.sector, department: i.department })),
    }),
    setConflicts: (name, s) => deps.users.setConflicts(name, s),
    raise: (t) => void deps.raise(t),
  });
  risk = createRiskService({
    modelPath: join(deps.rulesDir, RISK_FILE),
    clock: deps.clock,
    db: deps.db,
    events: deps.events,
    logger: log.child({ part: 'risk' }),
    sites: () => sites().map(({ profile, entry }) => ({ id: entry.id, sector: entry.sector, creditGrade: profile.creditGrade, devices: entry.devices.length })),
    offlineRules: () => new Set(deps.rules().rules.filter((r) => r.def.kind === 'offline').map((r) => r.id)),
    overdueLimits: deps.overdueLimits,
    inspections: (site, since, until) => visitsOf(inspections.resultsAt(site, since, until)),
    history: deps.history,
    raise: deps.raise,
  });
  const riskService = risk;

  const itemsOf = (names: readonly string[]) => [...deps.rules().items.values()].filter((i) => names.includes(i.department)).map((i) => i.code);
  const inspectorNames = () => Object.fromEntries(deps.users.list().flatMap((u) => (u.role === 'inspector' && u.displayName ? [[u.name, u.displayName]] : [])));
  const api: SupervisionApi = { profiles, inspections, risk: riskService.view(), departments, itemsOf, publicPerMinute: deps.publicPerMinute, inspectorNames };
  let timers: NodeJS.Timeout[] = [];
  let running: Promise<unknown> | null = null;
  const evaluate = () => {
    // One pass at a time: a slow InfluxDB must not stack passes up.
    running ??= riskService
      .evaluateAll(deps.clock())
      .catch((err) => log.error({ err }, 'risk evaluation failed'))
      .finally(() => (running = null));
    return running;
  };

  return {
    api,
    profiles,
    inspections,
    risk: riskService,
    /** A site's name, sector and responsible departments (its profile), for the site-code page and complaints. */
    site(id: string) {
      const entry = deps.registry().site(id);
      return entry ? { id: entry.id, name: entry.name, sector: entry.sector, departments: profiles.of(entry).departments } : undefined;
    },
    /** Scores every site now (also done every GATEWAY_RISK_INTERVAL); a pass already running is waited for, then a fresh one runs. */
    async evaluateRisk() {
      await running;
      return evaluate();
    },
    start() {
      riskService.watch();
      const t1 = setInterval(evaluate, deps.riskIntervalMs);
      const t2 = setInterval(() => {
        try {
          inspections.checkOverdue(deps.clock());
        } catch (err) {
          log.error({ err }, 'rectification check failed');
        }
      }, 60_000);
      t1.unref();
      t2.unref();
      timers = [t1, t2];
      void evaluate();
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      riskService.close();
      await running;
    },
  };
}

export type SupervisionHost = ReturnType<typeof createSupervisionHost>;
