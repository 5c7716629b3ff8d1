import type { Sector } from '../domain/index.js';
import type { AppliedTransition, AuditLog, EventState, EventStore } from '../events/index.js';
import type { Counter, Logger } from '../observability/index.js';
import type { PutResult } from '../evidence/index.js';
import type { VisitStepsStore } from '../inspections/index.js';
import type { RuleTransition } from '../rules/index.js';
import type { StateDb } from '../storage/index.js';
import { createSiteCodes } from './codes.js';
import { CATEGORY_DEPARTMENT, CATEGORY_ZH, createComplaintStore, publicState, PUBLIC_STATE_ZH, type ComplaintInput, type PublicState } from './complaints.js';
import { windowLimiter } from './limits.js';
import { normaliseSpoken, TRACKING_PATTERN } from './random.js';

export class ScanCodeError extends Error {
  constructor(
    readonly kind: 'not_found' | 'gone' | 'rate_limited' | 'bad_request' | 'too_large',
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ScanCodeError';
  }
}

/** The "device" of a complaint event: the public, whom no maintenance window silences. */
export const COMPLAINT_DEVICE = 'public';

export interface ScanSite {
  id: string;
  name: string;
  sector: Sector;
  /** Responsible departments (the enterprise profile), first = lead. */
  departments: string[];
}

export interface ScanCodeDeps {
  db: StateDb;
  audit: AuditLog;
  clock: () => number;
  /** The module's child logger (app.ts names it). */
  logger: Logger;
  site: (id: string) => ScanSite | undefined;
  /** The departments the catalogue names (a complaint goes to one of them). */
  departments: () => string[];
  /** Records a gateway-made raise already referred to `department` (one transaction), then fans both out. */
  raise: (t: RuleTransition, department: string | null, note: string) => AppliedTransition | null;
  eventState: (id: string) => EventState | undefined;
  pictures?: { put(bytes: Buffer, from: { site: string; sector: Sector }): Promise<PutResult> };
  steps: VisitStepsStore;
  limits: { perAddressPerHour: number; perSitePerHour: number };
  complaints: Counter;
  confirmations: Counter;
}

export type ScanCode = ReturnType<typeof createScanCode>;

export interface TrackedState {
  state: PublicState;
  stateZh: string;
  receivedOn: string;
}

/**
 * Site codes, complaints through them, and the enterprise's confirmation of a visit. Nothing
 * here logs what a sender wrote or their contact: only outcomes are counted and logged.
 */
export function createScanCode(deps: ScanCodeDeps) {
  const log = deps.logger;
  const codes = createSiteCodes(deps.db, deps.audit, deps.clock);
  const complaints = createComplaintStore(deps.db);
  const hour = 3_600_000;
  const byAddress = windowLimiter(deps.limits.perAddressPerHour, hour, deps.clock);
  const bySite = windowLimiter(deps.limits.perSitePerHour, hour, deps.clock);
  // Wrong confirmation codes per address: a guesser is slowed down before the attempt cap kills the code.
  const confirmTries = windowLimiter(20, hour, deps.clock);

  /** The site behind an active code; a retired one says when it was retired. */
  function siteOf(code: string): ScanSite {
    const found = codes.lookup(code);
    if (found.state === 'retired') throw new ScanCodeError('gone', `this site code was retired on ${new Date(found.retiredAt).toISOString()}; scan the new code on site`);
    const site = found.state === 'active' ? deps.site(found.site) : undefined;
    if (!site) throw new ScanCodeError('not_found', 'no site has this code');
    return site;
  }

  function departmentFor(site: ScanSite, category: ComplaintInput['category']): string | null {
    const known = deps.departments();
    const preferred = CATEGORY_DEPARTMENT[category];
    if (preferred && site.departments.includes(preferred) && known.includes(preferred)) return preferred;
    return site.departments.find((d) => known.includes(d)) ?? null;
  }

  const refuse = (outcome: string, err: ScanCodeError): never => {
    deps.complaints.inc({ outcome });
    throw err;
  };

  return {
    codes,
    complaints,
    siteOf,

    async submitComplaint(input: ComplaintInput, pictures: readonly Buffer[], address: string): Promise<{ trackingCode: string; state: PublicState }> {
      if (!byAddress.take(address)) refuse('rate_limited_address', new ScanCodeError('rate_limited', 'too many complaints from this address; try again later', byAddress.retryAfter()));
      let site: ScanSite;
      try {
        site = siteOf(input.siteCode);
      } catch (err) {
        return refuse((err as ScanCodeError).kind === 'gone' ? 'retired_code' : 'unknown_code', err as ScanCodeError);
      }
      if (!bySite.take(site.id)) refuse('rate_limited_site', new ScanCodeError('rate_limited', 'this site has received too many complaints this hour; try again later', bySite.retryAfter()));
      const stored: string[] = [];
      if (pictures.length && !deps.pictures) refuse('picture_refused', new ScanCodeError('bad_request', 'this gateway keeps no pictures'));
      for (const [i, bytes] of pictures.entries()) {
        const put = await deps.pictures!.put(bytes, { site: site.id, sector: site.sector });
        if (!put.ok) refuse('picture_refused', new ScanCodeError(put.reason === 'picture_too_large' ? 'too_large' : 'bad_request', `picture ${i + 1}: ${put.detail}`));
        else stored.push(put.sha256);
      }
      const at = deps.clock();
      const { id, trackingCode } = complaints.add(site.id, input, stored, at);
      const department = departmentFor(site, input.category);
      const applied = deps.raise(
        {
          type: 'raised',
          key: `complaint|${site.id}|${id}`,
          rule: 'public.complaint',
          ruleVersion: 'builtin',
          item: 'COMPLAINT',
          title: `扫码投诉：${CATEGORY_ZH[input.category]} (complaint: ${input.category})`,
          site: site.id,
          device: COMPLAINT_DEVICE,
          sector: site.sector,
          severity: input.category === 'safety' ? 'major' : 'warning',
          value: 1,
          threshold: null,
          at,
          message: `【${CATEGORY_ZH[input.category]}】${input.description}`,
          ...(stored.length ? { evidence: stored.map((picture) => ({ ts: at, confidence: 1, picture })) } : {}),
        },
        department,
        '扫码投诉，按企业主管部门分派 / complaint through the site code, routed to the site’s department',
      );
      if (applied) complaints.linkEvent(id, applied.event.id);
      deps.complaints.inc({ outcome: 'accepted' });
      // Outcome only: never the text, the contact or the sender's address.
      log.info({ complaint: id, site: site.id, category: input.category, event: applied?.event.id ?? null, pictures: stored.length }, 'complaint received');
      return { trackingCode, state: 'received' };
    },

    /** The state of a complaint by its tracking code, and nothing else. */
    track(trackingCode: string): TrackedState | undefined {
      if (!TRACKING_PATTERN.test(trackingCode)) return undefined;
      const c = complaints.byTracking(trackingCode);
      if (!c) return undefined;
      const s = publicState((c.eventId && deps.eventState(c.eventId)) || 'open');
      return { state: s, stateZh: PUBLIC_STATE_ZH[s], receivedOn: new Date(c.receivedAt).toISOString().slice(0, 10) };
    },

    /** The enterprise confirms a visit with the code the inspector's phone showed. */
    confirmVisit(siteCode: string, code: string, rating: number, comment: string | null, address: string): { confirmedOn: string } {
      if (!confirmTries.take(address)) {
        deps.confirmations.inc({ outcome: 'rate_limited' });
        throw new ScanCodeError('rate_limited', 'too many confirmation attempts from this address; try again later', confirmTries.retryAfter());
      }
      const site = siteOf(siteCode);
      const done = deps.steps.confirm(site.id, normaliseSpoken(code), rating, comment);
      if (!done) {
        deps.confirmations.inc({ outcome: 'wrong_code' });
        throw new ScanCodeError('not_found', 'this code does not confirm a visit to this site (wrong, used, or expired; ask the inspector for a new one)');
      }
      deps.confirmations.inc({ outcome: 'confirmed' });
      log.info({ plan: done.planId, site: site.id, rating }, 'visit confirmed by the enterprise');
      return { confirmedOn: new Date(done.confirmedAt).toISOString().slice(0, 10) };
    },
  };
}

/**
 * A raise already referred to a department, in one transaction (so no list ever shows the
 * event under the catalogue's department first), then both transitions fanned out.
 */
export function referredRaise(db: StateDb, events: Pick<EventStore, 'applyRuleTransition' | 'refer'>, dispatch: (a: AppliedTransition) => void, clock: () => number) {
  const tx = db.transaction((t: RuleTransition, department: string | null, note: string) => {
    const raised = events.applyRuleTransition(t);
    const referred = raised && department ? events.refer(raised.event.id, 'system', department, note, clock()) : null;
    return { raised, referred };
  });
  return (t: RuleTransition, department: string | null, note: string): AppliedTransition | null => {
    const { raised, referred } = tx(t, department, note);
    if (raised) dispatch(raised);
    if (referred) dispatch(referred);
    return referred ?? raised;
  };
}
