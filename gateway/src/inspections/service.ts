import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { RiskLevel } from '../domain/index.js';
import type { AuditLog } from '../events/index.js';
import type { Logger } from '../observability/index.js';
import type { RuleTransition } from '../rules/index.js';
import type { StateDb } from '../storage/index.js';
import { canonicalJson, hashOf, sha256Hex } from './canonical.js';
import { computeDraw, DrawError, type Draw } from './draw.js';
import { EXPORT_FORMAT, type Outcome, type PlanExport } from './export.js';
import { freezePool, type FreezeInput } from './freeze.js';
import { PolicyError, policyVersion, type InspectionPolicy } from './policy.js';
import { planParamsSchema, type PlanParams, type Pool } from './pool.js';
import { conclusionOf, type InspectionRecord, type VisitRecord } from './records.js';
import { createVisitSteps } from './visit-steps.js';

export const newPlanSchema = z.object({ title: z.string().trim().min(1).max(200) }).and(planParamsSchema);
export type NewPlan = z.output<typeof newPlanSchema>;

export class InspectionError extends Error {
  constructor(
    readonly kind: 'not_found' | 'conflict' | 'bad_request' | 'forbidden',
    message: string,
  ) {
    super(message);
    this.name = 'InspectionError';
  }
}

interface PlanRow {
  id: string;
  title: string;
  params: string;
  seed: string;
  seed_hash: string;
  state: 'committed' | 'drawn';
  policy: string | null;
  policy_version: string | null;
  pool: string | null;
  pool_hash: string | null;
  draw: string | null;
  draw_hash: string | null;
  created_at: number;
  created_by: string;
  drawn_at: number | null;
  drawn_by: string | null;
}

interface RecordRow {
  id: string;
  plan_id: string;
  site: string;
  item: string;
  outcome: Outcome;
  deadline: number | null;
  note: string | null;
  pictures: string | null;
  started_at: number;
  ended_at: number;
  recorded_at: number;
  recorded_by: string;
  rectified_at: number | null;
  overdue_at: number | null;
}

export interface Plan {
  id: string;
  title: string;
  params: PlanParams;
  state: 'committed' | 'drawn';
  seedHash: string;
  seed: string | null;
  policyVersion: string | null;
  policy: InspectionPolicy | null;
  poolHash: string | null;
  pool: Pool | null;
  drawHash: string | null;
  draw: Draw | null;
  createdAt: number;
  createdBy: string;
  drawnAt: number | null;
  drawnBy: string | null;
}

export interface InspectionsDeps {
  db: StateDb;
  audit: AuditLog;
  clock: () => number;
  logger: Logger;
  /** The policy in force (read from rules/inspection-policy.yaml when asked). */
  policy: () => InspectionPolicy;
  /** Registry, profiles, inspectors and catalogue as they are now, for freezing a pool. */
  sources: () => Omit<FreezeInput, 'params' | 'history'>;
  riskLevel?: (site: string) => RiskLevel;
  /** Replaces a user's declared conflicts (the users store). */
  setConflicts: (name: string, sites: readonly string[]) => { name: string; conflicts: string[] };
  /** Records a system event (overdue rectification) through the normal lifecycle and fan-out. */
  raise: (t: RuleTransition) => void;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function toPlan(r: PlanRow): Plan {
  const drawn = r.state === 'drawn';
  return {
    id: r.id,
    title: r.title,
    params: JSON.parse(r.params) as PlanParams,
    state: r.state,
    seedHash: r.seed_hash,
    // The reveal: the seed leaves the database only once the draw is made.
    seed: drawn ? r.seed : null,
    policyVersion: r.policy_version,
    policy: r.policy ? (JSON.parse(r.policy) as InspectionPolicy) : null,
    poolHash: r.pool_hash,
    pool: r.pool ? (JSON.parse(r.pool) as Pool) : null,
    drawHash: r.draw_hash,
    draw: r.draw ? (JSON.parse(r.draw) as Draw) : null,
    createdAt: r.created_at,
    createdBy: r.created_by,
    drawnAt: r.drawn_at,
    drawnBy: r.drawn_by,
  };
}

function toRecord(r: RecordRow): InspectionRecord {
  return {
    id: r.id,
    planId: r.plan_id,
    site: r.site,
    item: r.item,
    outcome: r.outcome,
    deadline: r.deadline,
    note: r.note,
    pictures: r.pictures ? (JSON.parse(r.pictures) as string[]) : [],
    startedAt: r.started_at,
    endedAt: r.ended_at,
    recordedAt: r.recorded_at,
    recordedBy: r.recorded_by,
    rectifiedAt: r.rectified_at,
    overdue: r.overdue_at !== null && r.rectified_at === null,
  };
}

export type Inspections = ReturnType<typeof createInspections>;

/**
 * Plans with commit-reveal: at creation a 256-bit seed is made and only its SHA-256 is
 * published and audited (commit); the draw freezes the pool, computes the draw and reveals
 * the seed in the same transaction (reveal). The seed sits in the state database until then,
 * readable only by whoever can read that file.
 */
export function createInspections(deps: InspectionsDeps) {
  const { db, audit } = deps;
  const q = {
    insertPlan: db.prepare(`INSERT INTO inspection_plans (id, title, params, seed, seed_hash, state, created_at, created_by)
      VALUES (@id, @title, @params, @seed, @seedHash, 'committed', @at, @by)`),
    plan: db.prepare('SELECT * FROM inspection_plans WHERE id = ?'),
    plans: db.prepare('SELECT * FROM inspection_plans ORDER BY created_at DESC, id DESC LIMIT ?'),
    drawnPlans: db.prepare(`SELECT * FROM inspection_plans WHERE state = 'drawn'`),
    setDrawn: db.prepare(`UPDATE inspection_plans SET state = 'drawn', policy = @policy, policy_version = @policyVersion, pool = @pool,
      pool_hash = @poolHash, draw = @draw, draw_hash = @drawHash, drawn_at = @at, drawn_by = @by WHERE id = @id AND state = 'committed'`),
    insertRecord: db.prepare(`INSERT INTO inspection_records (id, plan_id, site, item, outcome, deadline, note, pictures, started_at, ended_at, recorded_at, recorded_by)
      VALUES (@id, @planId, @site, @item, @outcome, @deadline, @note, @pictures, @startedAt, @endedAt, @at, @by)`),
    recordsOfPlan: db.prepare('SELECT * FROM inspection_records WHERE plan_id = ? ORDER BY site, item'),
    recordsOfSite: db.prepare('SELECT * FROM inspection_records WHERE site = ? AND ended_at >= ? AND ended_at < ? ORDER BY ended_at'),
    allRecords: db.prepare('SELECT plan_id, site, MAX(ended_at) AS ended_at FROM inspection_records GROUP BY plan_id, site'),
    record: db.prepare('SELECT * FROM inspection_records WHERE plan_id = ? AND site = ? AND item = ?'),
    rectify: db.prepare('UPDATE inspection_records SET rectified_at = ? WHERE id = ? AND rectified_at IS NULL'),
    dueRectifications: db.prepare(`SELECT * FROM inspection_records WHERE outcome = 'rectification_ordered' AND rectified_at IS NULL AND overdue_at IS NULL AND deadline < ?`),
    markOverdue: db.prepare('UPDATE inspection_records SET overdue_at = ? WHERE id = ?'),
  };

  const policy = (): InspectionPolicy => {
    try {
      return deps.policy();
    } catch (err) {
      if (err instanceof PolicyError) throw new InspectionError('conflict', `the inspection policy cannot be used: ${err.message}`);
      throw err;
    }
  };

  const auditPlan = (plan: string, type: string, at: number, actor: string, note: string | null, detail: unknown, site = 'gateway') =>
    audit.append({ kind: 'inspection', eventId: null, windowId: plan, site, device: null, type, at, actor, note, severity: null, value: null, detail });

  function requirePlan(id: string): PlanRow {
    const row = q.plan.get(id) as PlanRow | undefined;
    if (!row) throw new InspectionError('not_found', `no inspection plan ${id}`);
    return row;
  }

  const createTx = db.transaction((input: NewPlan, actor: string): Plan => {
    const inForce = policy();
    for (const d of input.departments) {
      if (!inForce.departments.some((p) => p.department === d)) throw new InspectionError('bad_request', `body.departments: the inspection policy has no entry for "${d}"`);
    }
    const at = deps.clock();
    const id = `plan-${day(at).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
    const seed = randomBytes(32).toString('hex');
    const seedHash = sha256Hex(Buffer.from(seed, 'hex'));
    const params: PlanParams = { period: input.period, departments: [...new Set(input.departments)].sort(), scope: input.scope };
    q.insertPlan.run({ id, title: input.title, params: JSON.stringify(params), seed, seedHash, at, by: actor });
    // The commit: the hash is in the audit chain before anyone can know the draw.
    auditPlan(id, 'plan_created', at, actor, input.title, { seedHash, params });
    return toPlan(requirePlan(id));
  });

  /** Visits already drawn (and when recorded), for intervals, caps and "not the same inspector twice". */
  function history(): FreezeInput['history'] {
    const recorded = new Map<string, number>();
    for (const r of q.allRecords.all() as Array<{ plan_id: string; site: string; ended_at: number }>) recorded.set(`${r.plan_id}|${r.site}`, r.ended_at);
    const out: FreezeInput['history'] = [];
    for (const p of (q.drawnPlans.all() as PlanRow[]).map(toPlan)) {
      for (const v of p.draw?.visits ?? []) {
        const ended = recorded.get(`${p.id}|${v.site}`);
        out.push({ site: v.site, inspectedOn: ended === undefined ? null : day(ended), inspectors: v.inspectors, drawnAt: p.drawnAt ?? 0 });
      }
    }
    return out;
  }

  const drawTx = db.transaction((id: string, actor: string): Plan => {
    const row = requirePlan(id);
    if (row.state !== 'committed') throw new InspectionError('conflict', `plan ${id} was drawn at ${new Date(row.drawn_at!).toISOString()}; a plan is drawn once`);
    const params = JSON.parse(row.params) as PlanParams;
    const inForce = policy();
    const src = deps.sources();
    const pool = freezePool({ ...src, sites: src.sites.map((s) => ({ ...s, riskLevel: deps.riskLevel?.(s.id) ?? s.riskLevel })), params, history: history() });
    let draw: Draw;
    try {
      draw = computeDraw(row.seed, pool, inForce, params);
    } catch (err) {
      if (err instanceof DrawError) throw new InspectionError('conflict', err.message);
      throw err;
    }
    const at = deps.clock();
    const poolHash = hashOf(pool);
    const drawHash = sha256Hex(canonicalJson(draw));
    const version = policyVersion(inForce);
    q.setDrawn.run({ id, policy: JSON.stringify(inForce), policyVersion: version, pool: JSON.stringify(pool), poolHash, draw: JSON.stringify(draw), drawHash, at, by: actor });
    // The reveal, with the hashes of what the draw used.
    auditPlan(id, 'plan_drawn', at, actor, null, { seed: row.seed, seedHash: row.seed_hash, policyVersion: version, poolHash, drawHash, visits: draw.visits.map((v) => v.site) });
    return toPlan(requirePlan(id));
  });

  const recordTx = db.transaction((planId: string, site: string, inspector: string, body: VisitRecord): InspectionRecord[] => {
    const plan = toPlan(requirePlan(planId));
    const visit = plan.draw?.visits.find((v) => v.site === site);
    if (!visit) throw new InspectionError('not_found', `site ${site} is not a visit of plan ${planId}`);
    if (!visit.inspectors.includes(inspector)) throw new InspectionError('forbidden', `${inspector} was not drawn for the visit to ${site}`);
    const startedAt = body.startedAt ?? steps.startedAt(planId, site);
    if (startedAt === null) throw new InspectionError('bad_request', 'body.startedAt: required when nobody checked in on site (scan the site code to check in)');
    if (startedAt > body.endedAt) throw new InspectionError('bad_request', 'body.endedAt: the visit cannot end before it started (its check-in)');
    const at = deps.clock();
    for (const item of body.items) {
      if (!visit.items.includes(item.item)) throw new InspectionError('bad_request', `body.items: ${item.item} is not an item of this visit (${visit.items.join(', ')})`);
      if (q.record.get(planId, site, item.item)) throw new InspectionError('conflict', `item ${item.item} of this visit is already recorded`);
      q.insertRecord.run({
        id: `rec-${randomBytes(6).toString('hex')}`,
        planId,
        site,
        item: item.item,
        outcome: item.outcome,
        deadline: item.deadline ?? null,
        note: item.note ?? body.note ?? null,
        pictures: body.pictures?.length ? JSON.stringify(body.pictures) : null,
        startedAt,
        endedAt: body.endedAt,
        at,
        by: inspector,
      });
    }
    auditPlan(planId, 'inspection_recorded', at, inspector, body.note ?? null, { items: body.items.map((i) => ({ item: i.item, outcome: i.outcome, deadline: i.deadline ?? null })) }, site);
    return (q.recordsOfPlan.all(planId) as RecordRow[]).filter((r) => r.site === site).map(toRecord);
  });

  const rectifyTx = db.transaction((planId: string, site: string, item: string, actor: string, note: string): InspectionRecord => {
    const row = q.record.get(planId, site, item) as RecordRow | undefined;
    if (!row) throw new InspectionError('not_found', `no record of ${item} at ${site} in plan ${planId}`);
    if (row.outcome !== 'rectification_ordered') throw new InspectionError('conflict', `${item} at ${site} had no rectification ordered`);
    if (row.rectified_at !== null) throw new InspectionError('conflict', `${item} at ${site} was already marked rectified`);
    const at = deps.clock();
    q.rectify.run(at, row.id);
    auditPlan(planId, 'rectification_done', at, actor, note, { item }, site);
    return toRecord(q.record.get(planId, site, item) as RecordRow);
  });

  const conflictsTx = db.transaction((name: string, sites: readonly string[], actor: string, note: string) => {
    const u = deps.setConflicts(name, sites);
    audit.append({ kind: 'user', eventId: null, windowId: null, site: 'gateway', device: null, type: 'conflicts_declared', at: deps.clock(), actor, note, severity: null, value: null, detail: { user: name, sites: u.conflicts } });
    return u;
  });

  const getPlan = (id: string): Plan | undefined => {
    const r = q.plan.get(id) as PlanRow | undefined;
    return r ? toPlan(r) : undefined;
  };
  const recordsOf = (planId: string): InspectionRecord[] => (q.recordsOfPlan.all(planId) as RecordRow[]).map(toRecord);
  // Check-in and the enterprise's confirmation (issue 17), stored beside the records.
  const steps = createVisitSteps({ db, audit, clock: deps.clock, plan: getPlan, records: recordsOf });

  /** What the plan's policy publishes of a visit's confirmation. */
  function publishedConfirmation(p: Plan, site: string, confirmations: ReturnType<typeof steps.ofPlan>) {
    const c = confirmations.get(site)?.confirmation;
    const mode = p.policy?.publish.confirmations ?? 'rating';
    if (!c?.confirmedAt || mode === 'none') return {};
    return { confirmation: { confirmedOn: day(c.confirmedAt), ...(mode === 'rating' && c.rating !== null ? { rating: c.rating } : {}) } };
  }

  return {
    steps,
    create: (input: NewPlan, actor: string) => createTx(input, actor),
    /** 回避: the sites an inspector may not be drawn for, audited. */
    declareConflicts: (name: string, sites: readonly string[], actor: string, note: string) => conflictsTx(name, sites, actor, note),
    draw: (id: string, actor: string) => drawTx(id, actor),
    get: getPlan,
    list: (limit = 200): Plan[] => (q.plans.all(limit) as PlanRow[]).map(toPlan),
    records: recordsOf,
    record: (planId: string, site: string, inspector: string, body: VisitRecord) => recordTx(planId, site, inspector, body),
    rectified: (planId: string, site: string, item: string, actor: string, note: string) => rectifyTx(planId, site, item, actor, note),

    /** Item results at a site in [since, until), by when the visit ended: the risk model reads these. */
    resultsAt: (site: string, since: number, until: number): InspectionRecord[] => (q.recordsOfSite.all(site, since, until) as RecordRow[]).map(toRecord),

    /** The public export: what verify needs, and per site only the conclusion and the day. */
    exportOf(id: string): PlanExport | undefined {
      const p = this.get(id);
      if (!p) return undefined;
      const confirmations = steps.ofPlan(id);
      const bySite = new Map<string, InspectionRecord[]>();
      for (const r of this.records(id)) bySite.set(r.site, [...(bySite.get(r.site) ?? []), r]);
      return {
        format: EXPORT_FORMAT,
        id: p.id,
        title: p.title,
        params: p.params,
        state: p.state,
        createdAt: new Date(p.createdAt).toISOString(),
        drawnAt: p.drawnAt === null ? null : new Date(p.drawnAt).toISOString(),
        seedHash: p.seedHash,
        seed: p.seed,
        policyVersion: p.policyVersion,
        policy: p.policy,
        poolHash: p.poolHash,
        pool: p.pool,
        drawHash: p.drawHash,
        draw: p.draw,
        results: [...bySite].map(([site, rs]) => ({ site, conclusion: conclusionOf(rs.map((r) => r.outcome)), inspectedOn: day(Math.max(...rs.map((r) => r.endedAt))), ...publishedConfirmation(p, site, confirmations) })),
      };
    },

    /** Rectifications past their deadline raise one event each (RISK-02), once. */
    checkOverdue(now: number): number {
      const due = q.dueRectifications.all(now) as RecordRow[];
      for (const r of due) {
        db.transaction(() => {
          q.markOverdue.run(now, r.id);
          auditPlan(r.plan_id, 'rectification_overdue', now, 'system', null, { item: r.item, deadline: r.deadline }, r.site);
        })();
        const sector = deps.sources().sites.find((s) => s.id === r.site)?.sector ?? 'other';
        deps.raise({
          type: 'raised',
          key: `inspection.rectification|${r.site}|${r.plan_id}|${r.item}`,
          rule: 'inspection.rectification_overdue',
          ruleVersion: 'builtin',
          item: 'RISK-02',
          title: 'rectification_overdue: an ordered rectification is past its deadline',
          site: r.site,
          device: 'inspection',
          sector,
          severity: 'major',
          value: Math.round((now - (r.deadline ?? now)) / 1000),
          threshold: 0,
          at: now,
          message: `rectification of ${r.item} ordered in plan ${r.plan_id} was due ${new Date(r.deadline!).toISOString()} and is not reported done`,
        });
        deps.logger.warn({ plan: r.plan_id, site: r.site, item: r.item }, 'rectification overdue');
      }
      return due.length;
    },
  };
}
