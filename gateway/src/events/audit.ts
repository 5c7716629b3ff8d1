import { createHash } from 'node:crypto';
import type { StateDb } from '../storage/index.js';

// `command`: HJ 212 downlink commands and their answers. `rules`: backtests, their approvals and the reloads they allowed (issue 19).
export const AUDIT_KINDS = ['transition', 'maintenance', 'profile', 'inspection', 'user', 'rules', 'command', 'sitecode'] as const;

/** The content of one audit row: an event transition, a maintenance-window change, or (issue 16) a site profile change, an inspection plan step an inspector's declaration, or an HJ 212 downlink command. */
export interface AuditEntry {
  kind: (typeof AUDIT_KINDS)[number];
  eventId: string | null;
  windowId: string | null;
  site: string;
  device: string | null;
  type: string;
  at: number;
  actor: string;
  note: string | null;
  severity: string | null;
  value: number | null;
  detail: unknown;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

interface AuditRow {
  seq: number;
  kind: string;
  event_id: string | null;
  window_id: string | null;
  site: string;
  device: string | null;
  type: string;
  at: number;
  actor: string;
  note: string | null;
  severity: string | null;
  value: number | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditFilter {
  since?: number;
  /** Rows recorded since, by the gateway clock: `at`, or the `detectedAt` of a transition decided on late data. */
  recordedSince?: number;
  until?: number;
  site?: string;
  /** Only rows of these sites (a scoped caller), so a page holds `limit` of its own rows. */
  sites?: readonly string[];
  /** A department-scoped caller: only rows of events referred to these departments, or not referred and of these items. */
  departments?: { names: readonly string[]; items: readonly string[] };
  event?: string;
  afterSeq?: number;
  limit: number;
}

export type VerifyResult =
  | { ok: true; rows: number; lastHash: string }
  | { ok: false; rows: number; seq: number; reason: string };

const GENESIS = '0'.repeat(64);

/**
 * The hashed content of a row: every column but the hash itself, in a fixed order, so that
 * changing any stored value (or the row's position in the chain) changes the hash.
 */
function contentHash(seq: number, prevHash: string, e: { kind: string; eventId: string | null; windowId: string | null; site: string; device: string | null; type: string; at: number; actor: string; note: string | null; severity: string | null; value: number | null; detail: string | null }): string {
  const canonical = JSON.stringify([seq, prevHash, e.kind, e.eventId, e.windowId, e.site, e.device, e.type, e.at, e.actor, e.note, e.severity, e.value, e.detail]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** A stored row's hashed content, with `detail` as the stored JSON text. */
function rowContent(r: AuditRow) {
  return {
    kind: r.kind,
    eventId: r.event_id,
    windowId: r.window_id,
    site: r.site,
    device: r.device,
    type: r.type,
    at: r.at,
    actor: r.actor,
    note: r.note,
    severity: r.severity,
    value: r.value,
    detail: r.detail,
  };
}

function toRecord(r: AuditRow): AuditRecord {
  const c = rowContent(r);
  return {
    ...c,
    seq: r.seq,
    kind: c.kind as AuditRecord['kind'],
    detail: c.detail === null ? null : JSON.parse(c.detail),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

export function createAuditLog(db: StateDb) {
  const q = {
    last: db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'),
    // The highest sequence number ever given out, kept apart from the rows: a number is never
    // given out twice even when rows were removed, and removed newest rows show as missing.
    high: db.prepare(`SELECT value FROM kv WHERE key = 'audit-seq-high'`),
    setHigh: db.prepare(`INSERT INTO kv (key, value) VALUES ('audit-seq-high', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    insert: db.prepare(`INSERT INTO audit (seq, kind, event_id, window_id, site, device, type, at, actor, note, severity, value, detail, prev_hash, hash)
      VALUES (@seq, @kind, @eventId, @windowId, @site, @device, @type, @at, @actor, @note, @severity, @value, @detail, @prevHash, @hash)`),
    bySeq: db.prepare('SELECT * FROM audit WHERE seq = ?'),
    ofEvent: db.prepare('SELECT * FROM audit WHERE event_id = ? ORDER BY seq'),
    walk: db.prepare('SELECT * FROM audit ORDER BY seq'),
  };

  const highWater = () => Number((q.high.get() as { value: string } | undefined)?.value ?? 0);

  return {
    /** Appends one row; call inside the transaction that makes the change it records. */
    append(entry: AuditEntry): AuditRecord {
      const last = q.last.get() as { seq: number; hash: string } | undefined;
      const seq = Math.max(last?.seq ?? 0, highWater()) + 1;
      q.setHigh.run(String(seq));
      const prevHash = last?.hash ?? GENESIS;
      const detail = entry.detail === null || entry.detail === undefined ? null : JSON.stringify(entry.detail);
      const row = { ...entry, detail, seq, prevHash };
      const hash = contentHash(seq, prevHash, row);
      q.insert.run({ ...row, hash });
      return { ...entry, seq, prevHash, hash };
    },

    ofEvent(eventId: string): AuditRecord[] {
      return (q.ofEvent.all(eventId) as AuditRow[]).map(toRecord);
    },

    list(f: AuditFilter): AuditRecord[] {
      const where: string[] = [];
      const params: Record<string, string | number> = { limit: f.limit };
      if (f.since !== undefined) (where.push('at >= @since'), (params.since = f.since));
      if (f.recordedSince !== undefined) {
        where.push(`(at >= @recordedSince OR json_extract(detail, '$.detectedAt') >= @recordedSince)`);
        params.recordedSince = f.recordedSince;
      }
      if (f.until !== undefined) (where.push('at < @until'), (params.until = f.until));
      if (f.site !== undefined) (where.push('site = @site'), (params.site = f.site));
      if (f.sites !== undefined) (where.push('site IN (SELECT value FROM json_each(@sites))'), (params.sites = JSON.stringify(f.sites)));
      if (f.departments !== undefined) {
        // As the event list decides it (events/query.ts): the department an event was referred to, else its item's.
        where.push(`event_id IN (SELECT id FROM events WHERE department IN (SELECT value FROM json_each(@deptNames)) OR (department IS NULL AND item IN (SELECT value FROM json_each(@deptItems))))`);
        params.deptNames = JSON.stringify(f.departments.names);
        params.deptItems = JSON.stringify(f.departments.items);
      }
      if (f.event !== undefined) (where.push('event_id = @event'), (params.event = f.event));
      if (f.afterSeq !== undefined) (where.push('seq > @afterSeq'), (params.afterSeq = f.afterSeq));
      const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT @limit`;
      return (db.prepare(sql).all(params) as AuditRow[]).map(toRecord);
    },

    /** Walks the whole chain and names the first row whose content or link does not match. */
    verify(): VerifyResult {
      let prev = GENESIS;
      let rows = 0;
      let expectedSeq = 1;
      for (const r of q.walk.iterate() as IterableIterator<AuditRow>) {
        rows++;
        if (r.seq !== expectedSeq) return { ok: false, rows, seq: r.seq, reason: `row ${expectedSeq} is missing before row ${r.seq}` };
        if (r.prev_hash !== prev) return { ok: false, rows, seq: r.seq, reason: `row ${r.seq} does not link to the hash of row ${r.seq - 1}` };
        const recomputed = contentHash(r.seq, r.prev_hash, rowContent(r));
        if (recomputed !== r.hash) return { ok: false, rows, seq: r.seq, reason: `row ${r.seq} was altered: its content does not match its hash` };
        prev = r.hash;
        expectedSeq++;
      }
      const high = highWater();
      if (high > expectedSeq - 1) return { ok: false, rows, seq: expectedSeq, reason: `rows ${expectedSeq} to ${high} are missing at the end of the trail` };
      return { ok: true, rows, lastHash: prev };
    },
  };
}
