import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AUDIT_KINDS, type EventStore } from '../../events/index.js';
import { principal, requireSite } from '../auth.js';
import { idParam, limitParam, pageLimit, timeParam } from '../query.js';

const auditRecord = z.object({
  seq: z.number(),
  kind: z.enum(AUDIT_KINDS),
  eventId: z.string().nullable(),
  windowId: z.string().nullable(),
  site: z.string(),
  device: z.string().nullable(),
  type: z.string(),
  at: z.number(),
  actor: z.string(),
  note: z.string().nullable(),
  severity: z.string().nullable(),
  value: z.number().nullable(),
  detail: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});

/** What the routes of the audit trail read. */
export interface AuditRouteDeps {
  events: EventStore;
  /** Largest page a list may ask for. */
  maxPage?: number;
}

export const auditRoutes = (deps: AuditRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/audit',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: z
          .object({
            since: timeParam.optional(),
            until: timeParam.optional(),
            site: idParam.optional(),
            event: z.string().max(64).optional(),
            after: z.coerce.number().int().min(0).optional(),
            limit: limitParam(5000, 500),
          })
          .strict(),
        response: { 200: z.object({ records: z.array(auditRecord), nextAfter: z.number().nullable() }) },
      },
    },
    async (req) => {
      const p = principal(req);
      if (req.query.site) requireSite(p, req.query.site);
      const { after, ...rest } = req.query;
      rest.limit = pageLimit(req, rest.limit, deps.maxPage);
      // The scope goes into the query: filtering a page afterwards showed how many rows of
      // other sites it held (issue 20, finding 14).
      const records = deps.events.audit.list({ ...rest, ...(p.sites ? { sites: p.sites } : {}), ...(after !== undefined ? { afterSeq: after } : {}) });
      return { records, nextAfter: records.length === rest.limit ? records.at(-1)!.seq : null };
    },
  );

  app.get(
    '/api/audit/verify',
    {
      config: { role: 'supervisor' },
      schema: {
        response: {
          200: z.object({ ok: z.boolean(), rows: z.number(), lastHash: z.string().optional(), seq: z.number().optional(), reason: z.string().optional() }),
        },
      },
    },
    async () => deps.events.verify(),
  );
};
