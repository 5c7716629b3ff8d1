import { SEVERITIES, type Sector, type Severity } from '../domain/index.js';
import type { StateDb } from '../storage/index.js';
import { EVENT_STATES, type EventState, type SupervisionEvent } from './schema.js';

// The event wall's questions, answered by the database over every event (never over a loaded
// page): one page in priority or newest-first order with a keyset cursor, and the true counts
// of everything the filters match.

export const EVENT_ORDERS = ['priority', 'newest'] as const;
export type EventOrder = (typeof EVENT_ORDERS)[number];

/** `active` is open or acknowledged: what still needs somebody. */
export type StateFilter = EventState | 'active';

export interface EventQuery {
  site?: string;
  /** The caller's scope: only these sites (undefined: all). */
  sites?: readonly string[];
  device?: string;
  sector?: Sector;
  state?: StateFilter;
  severity?: Severity;
  overdue?: boolean;
  since?: number;
  until?: number;
  /** A department-scoped caller: events referred to these departments, or not referred and of these items. */
  departments?: { names: readonly string[]; items: readonly string[] };
}

export interface EventPageQuery extends EventQuery {
  order: EventOrder;
  limit: number;
  /** The sort key of the last event of the previous page, as `pageCursor` gave it. */
  after?: readonly (string | number)[];
}

type Counts<K extends string> = Record<K, number>;
export interface EventSummary {
  total: number;
  byState: Counts<EventState>;
  bySeverity: Counts<Severity>;
  /** Open (not acknowledged) events by severity. */
  unacknowledged: Counts<Severity>;
  /** Open events past their acknowledgement limit, by severity. */
  overdue: Counts<Severity>;
  /** Matching events per site by severity (sites with none are left out). */
  bySite: Record<string, Counts<Severity>>;
}

// Priority: open or acknowledged before the rest; unacknowledged critical first; then by
// severity, unacknowledged before acknowledged, oldest first (the longest waiting is the
// most urgent). Every key ascends, so the cursor is one row-value comparison.
const RANK = `CASE severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END`;
const PRIORITY_KEYS = [
  `CASE WHEN state IN ('open', 'acknowledged') THEN 0 ELSE 1 END`,
  `CASE WHEN state = 'open' AND severity = 'critical' THEN 0 ELSE 1 END`,
  RANK,
  `CASE state WHEN 'open' THEN 0 ELSE 1 END`,
  'raised_at',
  'id',
];
const NEWEST_KEYS = ['raised_at', 'id'];

function where(f: EventQuery, params: Record<string, string | number>): string[] {
  const w: string[] = [];
  if (f.site !== undefined) (w.push('site = @site'), (params.site = f.site));
  if (f.sites !== undefined) {
    const names = f.sites.map((s, i) => ((params[`s${i}`] = s), `@s${i}`));
    w.push(names.length ? `site IN (${names.join(', ')})` : '0');
  }
  if (f.device !== undefined) (w.push('device = @device'), (params.device = f.device));
  if (f.sector !== undefined) (w.push('sector = @sector'), (params.sector = f.sector));
  if (f.state === 'active') w.push(`state IN ('open', 'acknowledged')`);
  else if (f.state !== undefined) (w.push('state = @state'), (params.state = f.state));
  if (f.severity !== undefined) (w.push('severity = @severity'), (params.severity = f.severity));
  if (f.overdue === true) w.push(`state = 'open' AND last_overdue_at IS NOT NULL`);
  if (f.overdue === false) w.push(`NOT (state = 'open' AND last_overdue_at IS NOT NULL)`);
  if (f.since !== undefined) (w.push('raised_at >= @since'), (params.since = f.since));
  if (f.until !== undefined) (w.push('raised_at < @until'), (params.until = f.until));
  if (f.departments !== undefined) {
    const d = f.departments.names.map((n, i) => ((params[`d${i}`] = n), `@d${i}`));
    const it = f.departments.items.map((n, i) => ((params[`i${i}`] = n), `@i${i}`));
    w.push(`(department IN (${d.join(', ') || 'NULL'}) OR (department IS NULL AND item IN (${it.join(', ') || 'NULL'})))`);
  }
  return w;
}

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Counts<K>;

/** Statements kept for reuse; the shapes of the wall's filters are few, a scope's site list adds some. */
const MAX_STATEMENTS = 64;

export function createEventQuery<Row>(db: StateDb, toEvent: (row: Row) => SupervisionEvent) {
  const keysOf = (order: EventOrder) => (order === 'priority' ? PRIORITY_KEYS : NEWEST_KEYS);
  // The SQL depends on which filters are set, not on their values (bound): the same few texts
  // come again and again (the risk pass asks once per site), and each prepare left its
  // statement's native memory until a GC (~1.9 MB of malloc heap kept after a pass of 100 sites).
  const statements = new Map<string, ReturnType<StateDb['prepare']>>();
  const prepared = (sql: string) => {
    let st = statements.get(sql);
    if (st !== undefined) {
      statements.delete(sql);
    } else {
      st = db.prepare(sql);
      if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value!);
    }
    statements.set(sql, st);
    return st;
  };
  return {
    /** One page and the sort key of its last row (null when there is no further page). */
    page(f: EventPageQuery): { events: SupervisionEvent[]; after: (string | number)[] | null } {
      const params: Record<string, string | number> = {};
      const w = where(f, params);
      const keys = keysOf(f.order);
      if (f.after) {
        if (f.after.length !== keys.length) throw new RangeError('the cursor belongs to another order');
        const marks = f.after.map((v, i) => ((params[`k${i}`] = v), `@k${i}`));
        // Newest first walks the same keys downwards.
        w.push(`(${keys.join(', ')}) ${f.order === 'newest' ? '<' : '>'} (${marks.join(', ')})`);
      }
      const dir = f.order === 'newest' ? ' DESC' : '';
      params.limit = f.limit + 1;
      const sql = `SELECT *, ${keys.map((k, i) => `${k} AS _k${i}`).join(', ')} FROM events ${w.length ? `WHERE ${w.join(' AND ')}` : ''} ORDER BY ${keys.map((k) => k + dir).join(', ')} LIMIT @limit`;
      const rows = prepared(sql).all(params) as (Row & Record<string, string | number>)[];
      const more = rows.length > f.limit;
      const kept = more ? rows.slice(0, f.limit) : rows;
      const last = kept.at(-1);
      return { events: kept.map(toEvent), after: more && last ? keys.map((_k, i) => last[`_k${i}`]!) : null };
    },

    summary(f: EventQuery): EventSummary {
      const params: Record<string, string | number> = {};
      const w = where(f, params);
      const sql = `SELECT site, state, severity, (state = 'open' AND last_overdue_at IS NOT NULL) AS overdue, COUNT(*) AS n FROM events ${w.length ? `WHERE ${w.join(' AND ')}` : ''} GROUP BY site, state, severity, overdue`;
      const out: EventSummary = { total: 0, byState: zeros(EVENT_STATES), bySeverity: zeros(SEVERITIES), unacknowledged: zeros(SEVERITIES), overdue: zeros(SEVERITIES), bySite: {} };
      for (const r of prepared(sql).all(params) as { site: string; state: EventState; severity: Severity; overdue: number; n: number }[]) {
        out.total += r.n;
        out.byState[r.state] += r.n;
        out.bySeverity[r.severity] += r.n;
        if (r.state === 'open') out.unacknowledged[r.severity] += r.n;
        if (r.overdue) out.overdue[r.severity] += r.n;
        (out.bySite[r.site] ??= zeros(SEVERITIES))[r.severity] += r.n;
      }
      return out;
    },
  };
}
