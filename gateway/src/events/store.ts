import { randomBytes } from 'node:crypto';
import { severityRank, type Severity } from '../domain/index.js';
import type { RuleTransition } from '../rules/index.js';
import type { StateDb } from '../storage/index.js';
import { createAuditLog, type AuditLog, type AuditRecord, type VerifyResult } from './audit.js';
import { lifecycleStep, stateAfter, UNRESOLVED } from './lifecycle.js';
import { createEventQuery } from './query.js';
import type { Disposition, EventDetail, EventState, SupervisionEvent, TransitionRecord, TransitionType } from './schema.js';

export interface EventFilter {
  site?: string;
  sites?: readonly string[];
  device?: string;
  state?: EventState;
  severity?: Severity;
  since?: number;
  until?: number;
  /** Keyset cursor: events strictly older than this (raisedAt, id) pair. */
  before?: { raisedAt: number; id: string };
  limit: number;
}

/** What one change did, for storage and fan-out. */
export interface AppliedTransition {
  event: SupervisionEvent;
  transition: TransitionRecord;
}

/** The audit `detail` of a transition: the disposition of a close, the threshold of a raise or escalation. */
interface TransitionDetail {
  disposition?: Disposition;
  threshold?: number | null;
  /** Rule transitions: the gateway clock when recorded, when it differs from the event time `at`. */
  detectedAt?: number;
  /** A raise from late data (raisedAt and detectedAt further apart than the clock skew). */
  late?: boolean;
  /** SHA-256 of the evidence pictures behind a raise or escalation, so the audit chain holds them. */
  pictures?: string[];
  /** A referral: to which department, from which (null: the catalogue item's). */
  department?: string;
  from?: string | null;
}

function picturesOf(t: RuleTransition): { pictures?: string[] } {
  const pictures = [...new Set((t.evidence ?? []).flatMap((e) => (e.picture ? [e.picture] : [])))];
  return pictures.length ? { pictures } : {};
}

/** A lifecycle request the event's state does not allow. */
export class LifecycleError extends Error {
  constructor(
    readonly kind: 'not_found' | 'conflict',
    message: string,
    readonly state?: EventState,
  ) {
    super(message);
    this.name = 'LifecycleError';
  }
}

interface EventRow {
  id: string;
  key: string;
  rule: string;
  rule_version: string;
  item: string;
  title: string;
  site: string;
  device: string;
  sector: string;
  metric: string | null;
  camera: string | null;
  detection_type: string | null;
  severity: string;
  value: number;
  threshold: number | null;
  message: string;
  state: string;
  raised_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  closed_at: number | null;
  disposition: string | null;
  suppressed: number;
  last_overdue_at: number | null;
  /** detectedAt: the gateway clock when the event was raised. */
  recorded_at: number | null;
  late: number;
  evidence: string | null;
}

function toEvent(r: EventRow): SupervisionEvent {
  return {
    id: r.id,
    key: r.key,
    rule: r.rule,
    ruleVersion: r.rule_version,
    item: r.item,
    title: r.title,
    site: r.site,
    device: r.device,
    sector: r.sector as SupervisionEvent['sector'],
    metric: r.metric,
    camera: r.camera,
    detectionType: r.detection_type,
    severity: r.severity as Severity,
    value: r.value,
    threshold: r.threshold,
    message: r.message,
    state: r.state as EventState,
    raisedAt: r.raised_at,
    detectedAt: r.recorded_at ?? r.raised_at,
    late: r.late === 1,
    updatedAt: r.updated_at,
    acknowledgedAt: r.acknowledged_at,
    resolvedAt: r.resolved_at,
    closedAt: r.closed_at,
    disposition: r.disposition,
    suppressed: r.suppressed === 1,
    overdue: r.last_overdue_at !== null && r.state === 'open',
  };
}

export function toTransition(a: AuditRecord): TransitionRecord {
  const detail = (a.detail ?? {}) as TransitionDetail;
  return {
    seq: a.seq,
    eventId: a.eventId!,
    site: a.site,
    device: a.device ?? '',
    type: a.type as TransitionType,
    at: a.at,
    detectedAt: detail.detectedAt ?? a.at,
    actor: a.actor,
    note: a.note,
    severity: (a.severity ?? 'info') as Severity,
    value: a.value ?? 0,
    disposition: detail.disposition ?? null,
    ...(detail.department !== undefined ? { department: detail.department } : {}),
  };
}

/** A limit as people read it: `2 s`, `5 min`, `1 h 30 min` (whole minutes alone used to turn `2s` into `0 min`). */
function spell(ms: number): string {
  if (ms < 60_000) return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
  const min = Math.round(ms / 60_000);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

const UNRESOLVED_SQL = `(${UNRESOLVED.map((s) => `'${s}'`).join(', ')})`;

/** Sortable, unguessable event ids: raise time then randomness. */
export function newEventId(at: number): string {
  return `ev-${Math.max(0, at).toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`;
}

export type EventStore = ReturnType<typeof createEventStore>;

/** A detection already recorded, named by what the events store keeps of it. */
export type PictureTarget = { device: string; camera: string; type: string; ts: number };

export interface EventStoreOptions {
  /** True when the device is inside a maintenance window at that time. */
  inMaintenance?: (site: string, device: string, at: number) => boolean;
  /** The gateway clock (overdue limits count from when an event was recorded by it: its detectedAt). */
  clock?: () => number;
  /** An event whose raisedAt lies further than this from its detectedAt is marked late (GATEWAY_MAX_CLOCK_SKEW). */
  maxClockSkewMs?: number;
  /** Runs inside the transaction that records a transition (durable queues such as webhooks). */
  afterRecord?: (a: AppliedTransition) => void;
}

/**
 * The event lifecycle on the state database. Every change is one SQLite transaction that
 * updates the event row and appends its audit row, so a crash never leaves them apart.
 */
export function createEventStore(db: StateDb, opts: EventStoreOptions = {}) {
  const audit: AuditLog = createAuditLog(db);
  const q = {
    unresolvedByKey: db.prepare(`SELECT * FROM events WHERE key = ? AND state IN ${UNRESOLVED_SQL} ORDER BY raised_at DESC LIMIT 1`),
    byId: db.prepare('SELECT * FROM events WHERE id = ?'),
    insertEvent: db.prepare(`INSERT INTO events (id, key, rule, rule_version, item, title, site, device, sector, metric, camera,
      detection_type, severity, value, threshold, message, state, raised_at, updated_at, suppressed, evidence, recorded_at, late)
      VALUES (@id, @key, @rule, @rule_version, @item, @title, @site, @device, @sector, @metric, @camera,
      @detection_type, @severity, @value, @threshold, @message, 'open', @at, @at, @suppressed, @evidence, @recordedAt, @late)`),
    escalate: db.prepare('UPDATE events SET severity = ?, value = ?, threshold = ?, message = ?, updated_at = ?, evidence = COALESCE(?, evidence) WHERE id = ?'),
    setState: db.prepare('UPDATE events SET state = @state, updated_at = @at, acknowledged_at = COALESCE(@ackAt, acknowledged_at), resolved_at = COALESCE(@resolvedAt, resolved_at), closed_at = COALESCE(@closedAt, closed_at), disposition = COALESCE(@disposition, disposition) WHERE id = @id'),
    touch: db.prepare('UPDATE events SET updated_at = ? WHERE id = ?'),
    markOverdue: db.prepare('UPDATE events SET last_overdue_at = ? WHERE id = ?'),
    openUnacked: db.prepare(`SELECT * FROM events WHERE state = 'open' AND suppressed = 0`),
    unresolvedKeys: db.prepare(`SELECT key FROM events WHERE state IN ${UNRESOLVED_SQL}`),
  };

  const rowOf = (id: string) => q.byId.get(id) as EventRow | undefined;

  function record(row: EventRow, type: TransitionType, at: number, actor: string, note: string | null, severity: Severity, value: number, detail?: TransitionDetail): AppliedTransition {
    const a = audit.append({
      kind: 'transition',
      eventId: row.id,
      windowId: null,
      site: row.site,
      device: row.device,
      type,
      at,
      actor,
      note,
      severity,
      value,
      detail: detail ?? null,
    });
    const applied = { event: toEvent(rowOf(row.id)!), transition: toTransition(a) };
    opts.afterRecord?.(applied);
    return applied;
  }

  const maxSkew = opts.maxClockSkewMs ?? 5 * 60_000;
  /** When the gateway learned of a rule transition, in the audit detail only when it is not `at` itself. */
  const learned = (at: number, detectedAt: number): TransitionDetail => (detectedAt === at ? {} : { detectedAt });

  const applyRuleTx = db.transaction((t: RuleTransition): AppliedTransition | null => {
    const evidence = t.evidence ? JSON.stringify(t.evidence.slice(-20)) : null;
    const existing = q.unresolvedByKey.get(t.key) as EventRow | undefined;
    // Rules decide on event time (t.at); the gateway learns of it now, which is later for buffered data.
    const detectedAt = opts.clock ? opts.clock() : t.at;
    if (t.type === 'raised' && !existing) {
      const id = newEventId(t.at);
      const suppressed = opts.inMaintenance?.(t.site, t.device, t.at) ? 1 : 0;
      const late = Math.abs(detectedAt - t.at) > maxSkew;
      q.insertEvent.run({
        id,
        key: t.key,
        rule: t.rule,
        rule_version: t.ruleVersion,
        item: t.item,
        title: t.title,
        site: t.site,
        device: t.device,
        sector: t.sector,
        metric: t.metric ?? null,
        camera: t.camera ?? null,
        detection_type: t.detectionType ?? null,
        severity: t.severity,
        value: t.value,
        threshold: t.threshold,
        message: t.message,
        at: t.at,
        suppressed,
        evidence,
        recordedAt: detectedAt,
        late: late ? 1 : 0,
      });
      return record(rowOf(id)!, 'raised', t.at, t.rule, t.message, t.severity, t.value, { threshold: t.threshold, ...picturesOf(t), ...learned(t.at, detectedAt), ...(late ? { late } : {}) });
    }
    // The engine can be ahead of the database only if a person resolved the event meanwhile.
    if (!existing) return null;
    if (t.type === 'resolved') {
      q.setState.run({ id: existing.id, state: 'resolved', at: t.at, ackAt: null, resolvedAt: t.at, closedAt: null, disposition: null });
      return record(existing, 'resolved', t.at, 'system', t.message, existing.severity as Severity, t.value, learned(t.at, detectedAt));
    }
    // 'escalated', or a repeated 'raised' after a crash lost the engine's memory of this event:
    // at most one unresolved event per key, and its severity never falls.
    if (severityRank(t.severity) <= severityRank(existing.severity as Severity)) return null;
    q.escalate.run(t.severity, t.value, t.threshold, t.message, t.at, evidence, existing.id);
    return record(existing, 'escalated', t.at, t.rule, t.message, t.severity, t.value, { threshold: t.threshold, ...picturesOf(t), ...learned(t.at, detectedAt) });
  });

  function requireEvent(id: string): EventRow {
    const row = rowOf(id);
    if (!row) throw new LifecycleError('not_found', `no event ${id}`);
    return row;
  }

  /** The lifecycle table's answer for a request on this event: true to record, false for a no-op; throws a conflict. */
  function allowed(row: EventRow, type: TransitionType): boolean {
    const step = lifecycleStep(row.state as EventState, type);
    if (!step.ok) throw new LifecycleError('conflict', `event ${row.id} is ${row.state}: it cannot be ${step.refusal}`, row.state as EventState);
    return step.next !== null;
  }

  const acknowledgeTx = db.transaction((id: string, actor: string, note: string | null, at: number): AppliedTransition | null => {
    const row = requireEvent(id);
    if (!allowed(row, 'acknowledged')) return null; // acknowledging twice records nothing
    q.setState.run({ id, state: 'acknowledged', at, ackAt: at, resolvedAt: null, closedAt: null, disposition: null });
    return record(row, 'acknowledged', at, actor, note, row.severity as Severity, row.value);
  });

  const commentTx = db.transaction((id: string, actor: string, note: string, at: number): AppliedTransition => {
    const row = requireEvent(id);
    allowed(row, 'commented');
    q.touch.run(at, id);
    return record(row, 'commented', at, actor, note, row.severity as Severity, row.value);
  });

  const resolveTx = db.transaction((id: string, actor: string, note: string, at: number): AppliedTransition => {
    const row = requireEvent(id);
    allowed(row, 'resolved');
    q.setState.run({ id, state: 'resolved', at, ackAt: null, resolvedAt: at, closedAt: null, disposition: null });
    return record(row, 'resolved', at, actor, note, row.severity as Severity, row.value);
  });

  const closeTx = db.transaction((id: string, actor: string, disposition: Disposition, note: string, at: number): AppliedTransition => {
    const row = requireEvent(id);
    allowed(row, 'closed');
    q.setState.run({ id, state: 'closed', at, ackAt: null, resolvedAt: null, closedAt: at, disposition });
    return record(row, 'closed', at, actor, note, row.severity as Severity, row.value, { disposition });
  });

  // Referral (协同监管): the event goes to another department's list; who had it is in the audit row.
  const referTx = db.transaction((id: string, actor: string, department: string, note: string, at: number): AppliedTransition => {
    const row = requireEvent(id);
    allowed(row, 'referred');
    const from = (db.prepare('SELECT department FROM events WHERE id = ?').get(id) as { department: string | null }).department;
    db.prepare('UPDATE events SET department = ?, updated_at = ? WHERE id = ?').run(department, at, id);
    return record(row, 'referred', at, actor, note, row.severity as Severity, row.value, { department, from });
  });

  // A picture that came after its detection (Frigate's snapshot topic): added to the evidence
  // of the unresolved events holding that detection, and named in the audit chain (a comment
  // by the gateway, so the lifecycle is unchanged).
  const attachPictureTx = db.transaction((d: PictureTarget, sha: string, at: number): AppliedTransition[] => {
    const out: AppliedTransition[] = [];
    const rows = db.prepare(`SELECT * FROM events WHERE device = ? AND camera = ? AND detection_type = ? AND state IN ${UNRESOLVED_SQL}`).all(d.device, d.camera, d.type) as EventRow[];
    for (const row of rows) {
      const evidence = row.evidence ? (JSON.parse(row.evidence) as Array<{ ts: number; picture?: string }>) : [];
      const item = evidence.find((e) => e.ts === d.ts && e.picture === undefined);
      if (!item) continue;
      item.picture = sha;
      db.prepare('UPDATE events SET evidence = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(evidence), at, row.id);
      out.push(record(row, 'commented', at, 'gateway', `证据图片已补充 (the detection's picture arrived after it): ${sha}`, row.severity as Severity, row.value, { pictures: [sha] }));
    }
    return out;
  });

  const overdueTx = db.transaction((limits: Partial<Record<Severity, number>>, now: number): AppliedTransition[] => {
    const out: AppliedTransition[] = [];
    for (const row of q.openUnacked.all() as EventRow[]) {
      const limit = limits[row.severity as Severity];
      if (!limit) continue;
      // From detectedAt: nobody can be overdue on an alarm raised from data that had not yet arrived.
      const since = row.last_overdue_at ?? row.recorded_at ?? row.raised_at;
      if (now - since < limit) continue;
      q.markOverdue.run(now, row.id);
      out.push(record(row, 'overdue', now, 'system', `not acknowledged within ${spell(limit)}`, row.severity as Severity, row.value));
    }
    return out;
  });

  /**
   * The event after each of its transitions, by audit seq, folded from the audit rows: state,
   * severity, value, message and threshold as they were then. (Rows written before raises
   * recorded their threshold keep the current one.)
   */
  function historyOf(id: string): Map<number, SupervisionEvent> | undefined {
    const row = rowOf(id);
    if (!row) return undefined;
    const out = new Map<number, SupervisionEvent>();
    let e: SupervisionEvent = { ...toEvent(row), state: 'open', acknowledgedAt: null, resolvedAt: null, closedAt: null, disposition: null, overdue: false };
    for (const a of audit.ofEvent(id)) {
      if (a.kind !== 'transition') continue;
      const t = toTransition(a);
      e = { ...e, severity: t.severity, state: stateAfter(e.state, t.type) };
      if (t.type !== 'overdue') e.updatedAt = t.at;
      switch (t.type) {
        case 'raised':
        case 'escalated': {
          e.value = t.value;
          if (t.note !== null) e.message = t.note;
          const d = a.detail as TransitionDetail | null;
          if (d && d.threshold !== undefined) e.threshold = d.threshold;
          break;
        }
        case 'acknowledged':
          e.acknowledgedAt = t.at;
          e.overdue = false;
          break;
        case 'resolved':
          e.resolvedAt = t.at;
          e.overdue = false;
          break;
        case 'closed':
          e.closedAt = t.at;
          e.disposition = t.disposition;
          break;
        case 'overdue':
          e.overdue = e.state === 'open';
          break;
        case 'commented':
        case 'referred':
          break;
      }
      out.set(t.seq, e);
    }
    return out;
  }

  /** One page of transitions after the audit row `seq`, at most `limit` audit rows read. */
  function transitionsPage(seq: number, notBefore: number, limit: number): { items: AppliedTransition[]; lastSeq: number; more: boolean } {
    const items: AppliedTransition[] = [];
    const cache = new Map<string, Map<number, SupervisionEvent> | undefined>();
    // notBefore is on the gateway clock: a late raise (event time hours ago) recorded a minute ago is caught up.
    const rows = audit.list({ afterSeq: seq, recordedSince: notBefore, limit });
    for (const a of rows) {
      if (a.kind !== 'transition' || !a.eventId) continue;
      if (!cache.has(a.eventId)) cache.set(a.eventId, historyOf(a.eventId));
      // The event as it stood right after this transition, as live subscribers got it: the
      // current row would show a replayed 'raised' as already resolved or closed.
      const event = cache.get(a.eventId)?.get(a.seq);
      if (event && !event.suppressed) items.push({ event, transition: toTransition(a) });
    }
    return { items, lastSeq: rows.at(-1)?.seq ?? seq, more: rows.length === limit };
  }

  /**
   * The audit chain, then every event row against it: each row must be what its chained
   * transitions make of it (state, severity, value, disposition, times, site, device, rule), each
   * row must have its transitions, and every event the trail names must still have its row.
   */
  function verify(): VerifyResult {
    const chain = audit.verify();
    if (!chain.ok) return chain;
    const fail = (seq: number, reason: string): VerifyResult => ({ ok: false, rows: chain.rows, seq, reason });
    for (const row of db.prepare('SELECT * FROM events ORDER BY raised_at, id').iterate() as IterableIterator<EventRow>) {
      const trail = audit.ofEvent(row.id).filter((a) => a.kind === 'transition');
      const raised = trail[0];
      if (!raised || raised.type !== 'raised') return fail(0, `event ${row.id} has no raise in the audit trail`);
      const last = [...historyOf(row.id)!.values()].at(-1)!;
      const stored = toEvent(row);
      const fields = ['state', 'severity', 'value', 'disposition', 'acknowledgedAt', 'resolvedAt', 'closedAt'] as const;
      const changed: string[] = fields.filter((f) => stored[f] !== last[f]);
      if (row.site !== raised.site || row.device !== raised.device) changed.push('site/device');
      if (row.rule !== raised.actor) changed.push('rule');
      if (changed.length) return fail(trail.at(-1)!.seq, `event ${row.id} was altered: its ${changed.join(', ')} do not match its transitions`);
    }
    const orphan = db
      .prepare(`SELECT event_id AS id, MIN(seq) AS seq FROM audit WHERE kind = 'transition' AND event_id IS NOT NULL AND event_id NOT IN (SELECT id FROM events) GROUP BY event_id ORDER BY seq LIMIT 1`)
      .get() as { id: string; seq: number } | undefined;
    if (orphan) return fail(orphan.seq, `event ${orphan.id} was deleted: the audit trail has its transitions but the events table has no row`);
    return chain;
  }

  const query = createEventQuery(db, toEvent);
  return {
    audit,
    // The wall's paged, prioritised list and its true counts.
    ...query,

    verify,

    /** Applies one transition decided by the rule engine. */
    applyRuleTransition: (t: RuleTransition): AppliedTransition | null => applyRuleTx(t),

    /** Returns null when the event was already acknowledged (nothing recorded). */
    acknowledge: (id: string, actor: string, note: string | null, at: number) => acknowledgeTx(id, actor, note, at),
    comment: (id: string, actor: string, note: string, at: number) => commentTx(id, actor, note, at),
    resolve: (id: string, actor: string, note: string, at: number) => resolveTx(id, actor, note, at),
    close: (id: string, actor: string, disposition: Disposition, note: string, at: number) => closeTx(id, actor, disposition, note, at),
    refer: (id: string, actor: string, department: string, note: string, at: number) => referTx(id, actor, department, note, at),
    /** Adds a late-arriving picture to the unresolved events whose evidence holds that detection. */
    attachPicture: (d: PictureTarget, sha: string, at: number): AppliedTransition[] => attachPictureTx(d, sha, at),
    /** The department an event was referred to, or null (its catalogue item's department). */
    departmentOf: (id: string): string | null => (db.prepare('SELECT department FROM events WHERE id = ?').get(id) as { department: string | null } | undefined)?.department ?? null,

    /** Marks open events not acknowledged within their severity's limit; repeats every limit. */
    markOverdue: (limits: Partial<Record<Severity, number>>, now: number) => overdueTx(limits, now),

    get(id: string): EventDetail | undefined {
      const row = rowOf(id);
      if (!row) return undefined;
      return {
        ...toEvent(row),
        transitions: audit.ofEvent(id).map(toTransition),
        evidence: row.evidence ? JSON.parse(row.evidence) : [],
      };
    },

    /** Newest first; `before` is the keyset cursor of the export and older callers. */
    list(f: EventFilter): SupervisionEvent[] {
      const { before, ...rest } = f;
      return query.page({ ...rest, order: 'newest', ...(before ? { after: [before.raisedAt, before.id] } : {}) }).events;
    },

    /** Transitions after an audit sequence number (SSE catch-up), oldest first, suppressed events left out. */
    transitionsAfter(seq: number, notBefore: number, limit: number): AppliedTransition[] {
      return transitionsPage(seq, notBefore, limit).items;
    },

    transitionsPage,

    /** Keys with an event not yet resolved: the engine's view must agree with these after a restart. */
    unresolvedKeys(): string[] {
      return (q.unresolvedKeys.all() as { key: string }[]).map((r) => r.key);
    },

    countsByState(site?: string): Record<EventState, number> {
      const rows = db
        .prepare(`SELECT state, COUNT(*) AS n FROM events ${site ? 'WHERE site = ?' : ''} GROUP BY state`)
        .all(...(site ? [site] : [])) as { state: EventState; n: number }[];
      const counts: Record<EventState, number> = { open: 0, acknowledged: 0, resolved: 0, closed: 0 };
      for (const r of rows) counts[r.state] = r.n;
      return counts;
    },
  };
}
