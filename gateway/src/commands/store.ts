// Device commands on the state database: each command's row and its audit rows are written in
// one SQLite transaction, so a crash never leaves a transition without its audit row (or the
// reverse). The table is created here (like the evidence store's) rather than in the shared
// migration list: it is new, additive, and read by nothing else.
import { randomUUID } from 'node:crypto';
import type { AuditEntry, AuditLog } from '../events/index.js';
import type { StateDb } from '../storage/index.js';
import { canMove, type CommandRecord, type CommandReplyRecord, type CommandState, type CommandTransition } from './schema.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS device_commands (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    device TEXT NOT NULL,
    name TEXT NOT NULL,
    payload TEXT NOT NULL,
    transport TEXT NOT NULL,
    ref TEXT,
    state TEXT NOT NULL,
    actor TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    transitions TEXT NOT NULL,
    reply TEXT
  );
  CREATE INDEX IF NOT EXISTS device_commands_device ON device_commands (device, issued_at);
  CREATE INDEX IF NOT EXISTS device_commands_open ON device_commands (state, expires_at);
`;

interface Row {
  id: string;
  site: string;
  device: string;
  name: string;
  payload: string;
  transport: 'mqtt' | 'hj212';
  ref: string | null;
  state: CommandState;
  actor: string;
  issued_at: number;
  expires_at: number;
  updated_at: number;
  transitions: string;
  reply: string | null;
}

function toRecord(r: Row): CommandRecord {
  return {
    id: r.id,
    site: r.site,
    device: r.device,
    name: r.name,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    transport: r.transport,
    ref: r.ref,
    state: r.state,
    by: r.actor,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    updatedAt: r.updated_at,
    transitions: JSON.parse(r.transitions) as CommandTransition[],
    reply: r.reply === null ? null : (JSON.parse(r.reply) as CommandReplyRecord),
  };
}

export interface NewRecord {
  site: string;
  device: string;
  name: string;
  payload: Record<string, unknown>;
  transport: 'mqtt' | 'hj212';
  ref?: string | null;
  by: string;
  issuedAt: number;
  expiresAt: number;
  /** Audit detail of the queued row beyond id/name/transport (an HJ 212 CN...). */
  detail?: Record<string, unknown>;
}

export interface CommandStoreOptions {
  db: StateDb;
  audit: AuditLog;
  /** Finished commands kept per device; older ones are removed (their audit rows stay). */
  keepPerDevice?: number;
}

export type MoveResult = { ok: true; record: CommandRecord } | { ok: false; reason: 'unknown' | 'not_allowed'; record?: CommandRecord };

export function createCommandStore(opts: CommandStoreOptions) {
  const { db, audit } = opts;
  db.exec(SCHEMA);
  const keep = opts.keepPerDevice ?? 500;
  const q = {
    insert: db.prepare(`INSERT INTO device_commands (id, site, device, name, payload, transport, ref, state, actor, issued_at, expires_at, updated_at, transitions, reply)
      VALUES (@id, @site, @device, @name, @payload, @transport, @ref, 'queued', @actor, @issued_at, @expires_at, @issued_at, @transitions, NULL)`),
    get: db.prepare('SELECT * FROM device_commands WHERE id = ?'),
    byRef: db.prepare('SELECT * FROM device_commands WHERE device = ? AND ref = ? ORDER BY issued_at DESC LIMIT 1'),
    update: db.prepare('UPDATE device_commands SET state = @state, updated_at = @at, transitions = @transitions, reply = @reply WHERE id = @id'),
    ofDevice: db.prepare('SELECT * FROM device_commands WHERE device = @device AND (@before IS NULL OR issued_at < @before) ORDER BY issued_at DESC, id DESC LIMIT @limit'),
    waiting: db.prepare(`SELECT * FROM device_commands WHERE device = ? AND state = 'queued' ORDER BY issued_at, id`),
    countWaiting: db.prepare(`SELECT COUNT(*) AS n FROM device_commands WHERE device = ? AND state = 'queued'`),
    due: db.prepare(`SELECT * FROM device_commands WHERE state IN ('queued', 'delivered') AND expires_at <= ? ORDER BY expires_at LIMIT ?`),
    prune: db.prepare(`DELETE FROM device_commands WHERE id IN (
      SELECT id FROM device_commands WHERE device = @device AND state IN ('replied', 'failed', 'refused', 'expired')
      ORDER BY issued_at DESC LIMIT -1 OFFSET @keep)`),
  };

  function auditRow(r: CommandRecord, state: CommandState, at: number, actor: string, detail: Record<string, unknown> | undefined): AuditEntry {
    return {
      kind: 'command',
      eventId: null,
      windowId: null,
      site: r.site,
      device: r.device,
      type: `command.${state}`,
      at,
      actor,
      note: null,
      severity: null,
      value: null,
      detail: { id: r.id, name: r.name, transport: r.transport, ...(r.ref ? { ref: r.ref } : {}), ...detail },
    };
  }

  const createTx = db.transaction((n: NewRecord): CommandRecord => {
    const id = randomUUID();
    const first: CommandTransition = { state: 'queued', at: n.issuedAt, actor: n.by, ...(n.detail ? { detail: n.detail } : {}) };
    q.insert.run({ id, site: n.site, device: n.device, name: n.name, payload: JSON.stringify(n.payload), transport: n.transport, ref: n.ref ?? null, actor: n.by, issued_at: n.issuedAt, expires_at: n.expiresAt, transitions: JSON.stringify([first]) });
    const record = toRecord(q.get.get(id) as Row);
    audit.append(auditRow(record, 'queued', n.issuedAt, n.by, { expiresAt: n.expiresAt, ...n.detail }));
    q.prune.run({ device: n.device, keep });
    return record;
  });

  const moveTx = db.transaction((id: string, to: CommandState, at: number, actor: string, detail: Record<string, unknown> | undefined, reply: CommandReplyRecord | undefined): MoveResult => {
    const row = q.get.get(id) as Row | undefined;
    if (!row) return { ok: false, reason: 'unknown' };
    const record = toRecord(row);
    if (!canMove(record.state, to)) return { ok: false, reason: 'not_allowed', record };
    const transitions = [...record.transitions, { state: to, at, actor, ...(detail ? { detail } : {}) }];
    const next = reply ?? record.reply;
    q.update.run({ id, state: to, at, transitions: JSON.stringify(transitions), reply: next === null ? null : JSON.stringify(next) });
    audit.append(auditRow(record, to, at, actor, detail));
    return { ok: true, record: { ...record, state: to, updatedAt: at, transitions, reply: next } };
  });

  /** Attaches data to a command without changing its state (an HJ 212 data answer after its reply). */
  const attachTx = db.transaction((id: string, reply: CommandReplyRecord) => {
    const row = q.get.get(id) as Row | undefined;
    if (!row) return;
    q.update.run({ id, state: row.state, at: reply.at, transitions: row.transitions, reply: JSON.stringify(reply) });
  });

  return {
    create: (n: NewRecord): CommandRecord => createTx(n),
    /** Moves a command to `to` if its life allows it; the audit row is written in the same transaction. */
    move: (id: string, to: CommandState, at: number, actor: string, detail?: Record<string, unknown>, reply?: CommandReplyRecord): MoveResult => moveTx(id, to, at, actor, detail, reply),
    attach: (id: string, reply: CommandReplyRecord): void => attachTx(id, reply),
    get(id: string): CommandRecord | undefined {
      const row = q.get.get(id) as Row | undefined;
      return row ? toRecord(row) : undefined;
    },
    byRef(device: string, ref: string): CommandRecord | undefined {
      const row = q.byRef.get(device, ref) as Row | undefined;
      return row ? toRecord(row) : undefined;
    },
    /** Newest first; `before` (an issuedAt) pages back. */
    ofDevice(device: string, limit: number, before?: number): CommandRecord[] {
      return (q.ofDevice.all({ device, limit, before: before ?? null }) as Row[]).map(toRecord);
    },
    /** Queued commands of a device, oldest first (the order they are sent in). */
    waiting(device: string): CommandRecord[] {
      return (q.waiting.all(device) as Row[]).map(toRecord);
    },
    countWaiting(device: string): number {
      return (q.countWaiting.get(device) as { n: number }).n;
    },
    /** Queued or delivered commands whose TTL has passed, at most `limit`. */
    due(now: number, limit: number): CommandRecord[] {
      return (q.due.all(now, limit) as Row[]).map(toRecord);
    },
  };
}

export type CommandStore = ReturnType<typeof createCommandStore>;
