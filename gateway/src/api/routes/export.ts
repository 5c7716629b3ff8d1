import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeDepartment, principal, requireSite } from '../auth.js';
import type { EventStore, SupervisionEvent } from '../../events/index.js';
import type { RulesView } from '../deps.js';
import { idParam, timeParam } from '../query.js';

const exportQuery = z
  .object({
    since: timeParam.optional(),
    until: timeParam.optional(),
    site: idParam.optional(),
    format: z.enum(['csv', 'ndjson']).default('ndjson'),
  })
  .strict();

const COLUMNS = ['id', 'site', 'device', 'sector', 'item', 'rule', 'ruleVersion', 'severity', 'state', 'raisedAt', 'detectedAt', 'late', 'acknowledgedAt', 'resolvedAt', 'closedAt', 'secondsToAcknowledge', 'secondsToClose', 'disposition', 'suppressed', 'value', 'threshold', 'message'] as const;

function row(e: SupervisionEvent) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: e.id,
    site: e.site,
    device: e.device,
    sector: e.sector,
    item: e.item,
    rule: e.rule,
    ruleVersion: e.ruleVersion,
    severity: e.severity,
    state: e.state,
    raisedAt: iso(e.raisedAt),
    detectedAt: iso(e.detectedAt),
    late: e.late,
    acknowledgedAt: iso(e.acknowledgedAt),
    resolvedAt: iso(e.resolvedAt),
    closedAt: iso(e.closedAt),
    // Response times count from detectedAt, as overdue does: nobody could act before the gateway knew.
    secondsToAcknowledge: e.acknowledgedAt === null ? null : (e.acknowledgedAt - e.detectedAt) / 1000,
    secondsToClose: e.closedAt === null ? null : (e.closedAt - e.detectedAt) / 1000,
    disposition: e.disposition,
    suppressed: e.suppressed,
    value: e.value,
    threshold: e.threshold,
    message: e.message,
  };
}

// RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet never runs it as a formula.
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** What the routes of the event export read. */
export interface ExportRouteDeps {
  events: EventStore;
  rules: RulesView;
}

export const exportRoutes = (deps: ExportRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/events/export', { config: { role: 'viewer' }, schema: { querystring: exportQuery } }, async (req, reply) => {
    const p = principal(req);
    if (req.query.site) requireSite(p, req.query.site);
    const filter = { since: req.query.since, until: req.query.until, site: req.query.site, ...(p.sites ? { sites: p.sites } : {}) };
    const lines: string[] = [];
    if (req.query.format === 'csv') lines.push(COLUMNS.join(','));
    // Page through with the keyset cursor so a large export never holds one huge query.
    let before: { raisedAt: number; id: string } | undefined;
    for (;;) {
      const page = deps.events.list({ ...filter, limit: 1000, ...(before ? { before } : {}) });
      for (const e of page) {
        // A department-scoped caller exports only what it may list (issue 16).
        if (p.departments && !canSeeDepartment(p, deps.events.departmentOf(e.id), deps.rules.item(e.item)?.department)) continue;
        const r = row(e);
        lines.push(req.query.format === 'csv' ? COLUMNS.map((c) => csvCell(r[c])).join(',') : JSON.stringify(r));
      }
      if (page.length < 1000) break;
      const last = page.at(-1)!;
      before = { raisedAt: last.raisedAt, id: last.id };
    }
    const ext = req.query.format;
    reply.header('content-disposition', `attachment; filename="events.${ext}"`);
    reply.type(ext === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
    return lines.join('\n') + (lines.length ? '\n' : '');
  });
};
