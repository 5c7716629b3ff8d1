import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AuditLog } from '../events/index.js';
import type { StateDb } from '../storage/index.js';
import type { InspectionRecord } from './records.js';
import { InspectionError, type Plan } from './service.js';

// 扫码监管 on a visit (issue 17): the inspector's check-in on site (scanning the site's code
// starts the visit), and the enterprise's confirmation and rating with a one-time code the
// inspector's phone shows at the end. Kept beside the plan's records, every step audited.

export const CONFIRMATION_TTL_MS = 24 * 3_600_000;
/** Wrong codes typed on a site's page before its pending codes die (the inspector issues a new one). */
export const MAX_CONFIRMATION_ATTEMPTS = 5;

export const locationSchema = z
  .object({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    /** Metres, as the browser reports it. */
    accuracy: z.number().min(0).max(100_000).optional(),
  })
  .strict();
export type CheckInLocation = z.infer<typeof locationSchema>;

export const checkInSchema = z.object({ inspector: z.string(), at: z.number(), location: locationSchema.nullable() });
export const confirmationSchema = z.object({
  issuedAt: z.number(),
  expiresAt: z.number(),
  confirmedAt: z.number().nullable(),
  rating: z.number().int().min(1).max(5).nullable(),
  comment: z.string().nullable(),
});
export const visitStepsSchema = z.object({ site: z.string(), checkIns: z.array(checkInSchema), confirmation: confirmationSchema.nullable() });
export type VisitSteps = z.infer<typeof visitStepsSchema>;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS inspection_checkins (
    plan_id TEXT NOT NULL,
    site TEXT NOT NULL,
    inspector TEXT NOT NULL,
    at INTEGER NOT NULL,
    latitude REAL,
    longitude REAL,
    accuracy REAL,
    PRIMARY KEY (plan_id, site, inspector)
  );
  CREATE TABLE IF NOT EXISTS inspection_confirmations (
    plan_id TEXT NOT NULL,
    site TEXT NOT NULL,
    code_hash TEXT,
    issued_at INTEGER NOT NULL,
    issued_by TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    confirmed_at INTEGER,
    rating INTEGER,
    comment TEXT,
    PRIMARY KEY (plan_id, site)
  );`;

interface CheckInRow {
  plan_id: string;
  site: string;
  inspector: string;
  at: number;
  latitude: number | null;
  longitude: number | null;
  accuracy: number | null;
}
interface ConfirmationRow {
  plan_id: string;
  site: string;
  code_hash: string | null;
  issued_at: number;
  issued_by: string;
  expires_at: number;
  attempts: number;
  confirmed_at: number | null;
  rating: number | null;
  comment: string | null;
}

const hashCode = (code: string) => createHash('sha256').update(code).digest();

export interface VisitStepsDeps {
  db: StateDb;
  audit: AuditLog;
  clock: () => number;
  plan: (id: string) => Plan | undefined;
  records: (planId: string) => InspectionRecord[];
}

export type VisitStepsStore = ReturnType<typeof createVisitSteps>;

export function createVisitSteps(deps: VisitStepsDeps) {
  const { db, audit } = deps;
  db.exec(SCHEMA);
  const q = {
    checkIn: db.prepare('INSERT INTO inspection_checkins (plan_id, site, inspector, at, latitude, longitude, accuracy) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    checkInOf: db.prepare('SELECT * FROM inspection_checkins WHERE plan_id = ? AND site = ? AND inspector = ?'),
    checkInsOfPlan: db.prepare('SELECT * FROM inspection_checkins WHERE plan_id = ? ORDER BY at'),
    firstCheckIn: db.prepare('SELECT MIN(at) AS at FROM inspection_checkins WHERE plan_id = ? AND site = ?'),
    confirmation: db.prepare('SELECT * FROM inspection_confirmations WHERE plan_id = ? AND site = ?'),
    confirmationsOfPlan: db.prepare('SELECT * FROM inspection_confirmations WHERE plan_id = ?'),
    issue: db.prepare(`INSERT INTO inspection_confirmations (plan_id, site, code_hash, issued_at, issued_by, expires_at) VALUES (@plan, @site, @hash, @at, @by, @expires)
      ON CONFLICT (plan_id, site) DO UPDATE SET code_hash = excluded.code_hash, issued_at = excluded.issued_at, issued_by = excluded.issued_by, expires_at = excluded.expires_at, attempts = 0`),
    pendingAt: db.prepare('SELECT * FROM inspection_confirmations WHERE site = ? AND code_hash IS NOT NULL AND confirmed_at IS NULL AND expires_at > ? AND attempts < ?'),
    confirm: db.prepare('UPDATE inspection_confirmations SET code_hash = NULL, confirmed_at = ?, rating = ?, comment = ? WHERE plan_id = ? AND site = ? AND confirmed_at IS NULL'),
    miss: db.prepare('UPDATE inspection_confirmations SET attempts = attempts + 1 WHERE plan_id = ? AND site = ?'),
  };
  const log = (plan: string, site: string, type: string, at: number, actor: string, note: string | null, detail: unknown) =>
    audit.append({ kind: 'inspection', eventId: null, windowId: plan, site, device: null, type, at, actor, note, severity: null, value: null, detail });

  /** The visit, and the inspector among those drawn for it (else forbidden). */
  function visitOf(planId: string, site: string, inspector: string) {
    const plan = deps.plan(planId);
    if (!plan) throw new InspectionError('not_found', `no inspection plan ${planId}`);
    const visit = plan.draw?.visits.find((v) => v.site === site);
    if (!visit) throw new InspectionError('not_found', `site ${site} is not a visit of plan ${planId}`);
    if (!visit.inspectors.includes(inspector)) throw new InspectionError('forbidden', `${inspector} was not drawn for the visit to ${site}`);
    return visit;
  }

  const checkInTx = db.transaction((planId: string, site: string, inspector: string, location: CheckInLocation | null) => {
    visitOf(planId, site, inspector);
    const had = q.checkInOf.get(planId, site, inspector) as CheckInRow | undefined;
    if (had) throw new InspectionError('conflict', `${inspector} already checked in at ${site} at ${new Date(had.at).toISOString()}`);
    const at = deps.clock();
    q.checkIn.run(planId, site, inspector, at, location?.latitude ?? null, location?.longitude ?? null, location?.accuracy ?? null);
    log(planId, site, 'inspection_checked_in', at, inspector, null, { location });
    return { inspector, at, location };
  });

  const finishTx = db.transaction((planId: string, site: string, inspector: string, code: string, note: string | null) => {
    const visit = visitOf(planId, site, inspector);
    const recorded = new Set(deps.records(planId).filter((r) => r.site === site).map((r) => r.item));
    const missing = visit.items.filter((i) => !recorded.has(i));
    if (missing.length) throw new InspectionError('conflict', `record every item of the visit before finishing it; not recorded yet: ${missing.join(', ')}`);
    const had = q.confirmation.get(planId, site) as ConfirmationRow | undefined;
    if (had?.confirmed_at) throw new InspectionError('conflict', `the enterprise already confirmed this visit at ${new Date(had.confirmed_at).toISOString()}`);
    const at = deps.clock();
    const expiresAt = at + CONFIRMATION_TTL_MS;
    q.issue.run({ plan: planId, site, hash: hashCode(code).toString('hex'), at, by: inspector, expires: expiresAt });
    // The code itself is never stored or audited: only that one was issued, by whom, until when.
    log(planId, site, 'visit_finished', at, inspector, note, { confirmationExpiresAt: expiresAt, reissued: had !== undefined });
    return { expiresAt };
  });

  const confirmTx = db.transaction((site: string, code: string, rating: number, comment: string | null) => {
    const now = deps.clock();
    const pending = q.pendingAt.all(site, now, MAX_CONFIRMATION_ATTEMPTS) as ConfirmationRow[];
    const typed = hashCode(code);
    const hit = pending.find((p) => timingSafeEqual(Buffer.from(p.code_hash!, 'hex'), typed));
    if (!hit) {
      for (const p of pending) q.miss.run(p.plan_id, p.site);
      return null;
    }
    q.confirm.run(now, rating, comment, hit.plan_id, hit.site);
    log(hit.plan_id, site, 'visit_confirmed', now, 'enterprise', comment, { rating });
    return { planId: hit.plan_id, confirmedAt: now };
  });

  const toConfirmation = (r: ConfirmationRow) => ({ issuedAt: r.issued_at, expiresAt: r.expires_at, confirmedAt: r.confirmed_at, rating: r.rating, comment: r.comment });

  return {
    checkIn: (planId: string, site: string, inspector: string, location: CheckInLocation | null) => checkInTx(planId, site, inspector, location),
    /** When the visit started on site: its first check-in, if any. */
    startedAt: (planId: string, site: string): number | null => (q.firstCheckIn.get(planId, site) as { at: number | null }).at,
    /** Issues the one-time confirmation code (`code`, made by the caller) for a fully recorded visit. */
    finish: (planId: string, site: string, inspector: string, code: string, note: string | null = null) => finishTx(planId, site, inspector, code, note),
    /** The enterprise's confirmation on the site's page: null when no pending code of this site matches. */
    confirm: (site: string, code: string, rating: number, comment: string | null) => confirmTx(site, code, rating, comment),
    /** Check-ins and confirmation of every visit of a plan, by site. */
    ofPlan(planId: string): Map<string, VisitSteps> {
      const out = new Map<string, VisitSteps>();
      const at = (site: string) => out.get(site) ?? (out.set(site, { site, checkIns: [], confirmation: null }), out.get(site)!);
      for (const r of q.checkInsOfPlan.all(planId) as CheckInRow[]) {
        at(r.site).checkIns.push({ inspector: r.inspector, at: r.at, location: r.latitude === null || r.longitude === null ? null : { latitude: r.latitude, longitude: r.longitude, ...(r.accuracy !== null ? { accuracy: r.accuracy } : {}) } });
      }
      for (const r of q.confirmationsOfPlan.all(planId) as ConfirmationRow[]) at(r.site).confirmation = toConfirmation(r);
      return out;
    },
  };
}
