import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { idSchema } from '../domain/index.js';
import type { StateDb } from '../storage/index.js';
import type { AuditLog } from './audit.js';
import { LifecycleError } from './store.js';

export const maintenanceWindowSchema = z.object({
  id: z.string(),
  site: z.string(),
  device: z.string().nullable(),
  start: z.number(),
  end: z.number(),
  reason: z.string(),
  createdBy: z.string(),
  createdAt: z.number(),
  endedAt: z.number().nullable(),
});
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;

/** The last millisecond of the year 9999: later times are no date anyone means (2^53 was accepted). */
export const LATEST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** A window longer than this is a mistake or an attempt to silence a site for good. */
export const MAX_WINDOW_MS = 366 * 86_400_000;
const windowTime = z.number().int().positive().max(LATEST_TIME, 'must be a time in ms before the year 10000');
export const WINDOW_TOO_LONG = 'a window may last at most 366 days; end it and open another';

export const newWindowSchema = z
  .object({
    site: idSchema,
    device: idSchema.optional(),
    start: windowTime,
    end: windowTime,
    reason: z.string().trim().min(1, 'a reason is required').max(1000),
  })
  .strict()
  .refine((w) => w.end > w.start, { message: 'end must be after start', path: ['end'] })
  .refine((w) => w.end - w.start <= MAX_WINDOW_MS, { message: WINDOW_TOO_LONG, path: ['end'] });
export type NewWindow = z.infer<typeof newWindowSchema>;

export const windowChangeSchema = z
  .object({
    start: windowTime.optional(),
    end: windowTime.optional(),
    reason: z.string().trim().min(1).max(1000).optional(),
  })
  .strict()
  .refine((c) => c.start !== undefined || c.end !== undefined || c.reason !== undefined, { message: 'nothing to change' });
export type WindowChange = z.infer<typeof windowChangeSchema>;

interface WindowRow {
  id: string;
  site: string;
  device: string | null;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: string;
  created_at: number;
  ended_at: number | null;
}

function toWindow(r: WindowRow): MaintenanceWindow {
  return { id: r.id, site: r.site, device: r.device, start: r.starts_at, end: r.ends_at, reason: r.reason, createdBy: r.created_by, createdAt: r.created_at, endedAt: r.ended_at };
}

export type Maintenance = ReturnType<typeof createMaintenance>;

/**
 * Maintenance windows: readings inside one are stored and marked, events raised inside one
 * are recorded as suppressed. Every change is an audit row, like an event transition.
 */
export function createMaintenance(db: StateDb, audit: AuditLog) {
  const q = {
    all: db.prepare('SELECT * FROM maintenance_windows ORDER BY starts_at, id'),
    byId: db.prepare('SELECT * FROM maintenance_windows WHERE id = ?'),
    insert: db.prepare('INSERT INTO maintenance_windows (id, site, device, starts_at, ends_at, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    update: db.prepare('UPDATE maintenance_windows SET starts_at = ?, ends_at = ?, reason = ?, ended_at = ? WHERE id = ?'),
  };
  // Windows are few; the hot path (every reading) checks an in-memory copy.
  let cache: MaintenanceWindow[] = (q.all.all() as WindowRow[]).map(toWindow);
  const refresh = () => (cache = (q.all.all() as WindowRow[]).map(toWindow));

  function auditChange(w: MaintenanceWindow, type: 'created' | 'changed' | 'ended', actor: string, at: number, detail: unknown) {
    audit.append({ kind: 'maintenance', eventId: null, windowId: w.id, site: w.site, device: w.device, type, at, actor, note: w.reason, severity: null, value: null, detail });
  }

  function requireWindow(id: string): MaintenanceWindow {
    const row = q.byId.get(id) as WindowRow | undefined;
    if (!row) throw new LifecycleError('not_found', `no maintenance window ${id}`);
    return toWindow(row);
  }

  const createTx = db.transaction((w: NewWindow, actor: string, at: number) => {
    const id = `mw-${randomBytes(6).toString('hex')}`;
    q.insert.run(id, w.site, w.device ?? null, w.start, w.end, w.reason, actor, at);
    const win = requireWindow(id);
    auditChange(win, 'created', actor, at, { start: w.start, end: w.end });
    return win;
  });

  const changeTx = db.transaction((id: string, c: WindowChange, actor: string, at: number) => {
    const w = requireWindow(id);
    if (w.endedAt !== null) throw new LifecycleError('conflict', `maintenance window ${id} has ended`);
    const start = c.start ?? w.start;
    const end = c.end ?? w.end;
    if (end <= start) throw new LifecycleError('conflict', 'end must be after start');
    q.update.run(start, end, c.reason ?? w.reason, null, id);
    const next = requireWindow(id);
    auditChange(next, 'changed', actor, at, { before: { start: w.start, end: w.end, reason: w.reason }, after: { start, end, reason: next.reason } });
    return next;
  });

  const endTx = db.transaction((id: string, actor: string, at: number) => {
    const w = requireWindow(id);
    if (w.endedAt !== null) throw new LifecycleError('conflict', `maintenance window ${id} has already ended`);
    q.update.run(w.start, Math.min(w.end, Math.max(at, w.start)), w.reason, at, id);
    const next = requireWindow(id);
    auditChange(next, 'ended', actor, at, { end: next.end });
    return next;
  });

  return {
    create(w: NewWindow, actor: string, at: number): MaintenanceWindow {
      const win = createTx(w, actor, at);
      refresh();
      return win;
    },
    change(id: string, c: WindowChange, actor: string, at: number): MaintenanceWindow {
      const win = changeTx(id, c, actor, at);
      refresh();
      return win;
    },
    end(id: string, actor: string, at: number): MaintenanceWindow {
      const win = endTx(id, actor, at);
      refresh();
      return win;
    },
    get: (id: string) => requireWindow(id),
    list(site?: string): MaintenanceWindow[] {
      return site ? cache.filter((w) => w.site === site) : [...cache];
    },
    /** True when the device (or its whole site) is inside a window at that time. */
    covers(site: string, device: string, at: number): boolean {
      for (const w of cache) {
        if (w.site === site && (w.device === null || w.device === device) && at >= w.start && at < w.end) return true;
      }
      return false;
    },
  };
}
