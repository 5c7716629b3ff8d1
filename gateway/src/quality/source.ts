import type { Disposition } from '../events/index.js';
import type { Severity } from '../domain/index.js';
import type { StateDb } from '../storage/index.js';
import type { QualityEvent } from './schema.js';

// Reads the events the figures of a period need from the state database: those raised in
// it, and those raised earlier that were still unresolved when it began (standing alarms).

export interface QualityEventFilter {
  from: number;
  to: number;
  /** Only these sites (a caller's scope); undefined for every site. */
  sites?: readonly string[];
  /** Refuse a period with more events than this rather than hold them all (default 500,000). */
  maxEvents?: number;
}

/** More events in the period than the figures will hold in memory at once. */
export class TooManyEventsError extends Error {
  constructor(readonly max: number) {
    super(`the period holds more than ${max} events; ask for a shorter period or one site`);
    this.name = 'TooManyEventsError';
  }
}

interface Row {
  id: string;
  key: string;
  rule: string;
  item: string;
  site: string;
  device: string;
  severity: string;
  raised_at: number;
  acknowledged_at: number | null;
  resolved_at: number | null;
  closed_at: number | null;
  disposition: string | null;
  suppressed: number;
}

export function readQualityEvents(db: StateDb, f: QualityEventFilter): QualityEvent[] {
  const max = f.maxEvents ?? 500_000;
  const params: Record<string, string | number> = { from: f.from, to: f.to, cap: max + 1 };
  let sites = '';
  if (f.sites !== undefined) {
    const names = f.sites.map((s, i) => ((params[`s${i}`] = s), `@s${i}`));
    sites = names.length ? ` AND site IN (${names.join(', ')})` : ' AND 0';
  }
  const sql = `SELECT id, key, rule, item, site, device, severity, raised_at, acknowledged_at, resolved_at, closed_at, disposition, suppressed
    FROM events WHERE raised_at < @to AND (raised_at >= @from OR resolved_at IS NULL OR resolved_at >= @from)${sites}
    ORDER BY raised_at LIMIT @cap`;
  const rows = db.prepare(sql).all(params) as Row[];
  if (rows.length > max) throw new TooManyEventsError(max);
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    rule: r.rule,
    item: r.item,
    site: r.site,
    device: r.device,
    severity: r.severity as Severity,
    raisedAt: r.raised_at,
    acknowledgedAt: r.acknowledged_at,
    resolvedAt: r.resolved_at,
    closedAt: r.closed_at,
    disposition: r.disposition as Disposition | null,
    suppressed: r.suppressed === 1,
  }));
}
