import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AUDIT_KINDS, type AuditRecord, type EventStore } from '../../events/index.js';
import { principal, requireSite, seesWholeChain } from '../auth.js';
import type { PositionCursors } from '../cursor.js';
import { ApiError } from '../errors.js';
import { idParam, limitParam, pageLimit, timeParam } from '../query.js';
import type { SupervisionApi } from '../supervision-deps.js';

const chainOnly = 'only for callers who see every site and department (the chain position)';
const auditRecord = z.object({
  seq: z.number().optional().describe(`the row's position in the hash chain; ${chainOnly}`),
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
  prevHash: z.string().optional().describe(`the hash of the row before in the chain; ${chainOnly}`),
  hash: z.string().optional().describe(`the row's hash in the chain; ${chainOnly}`),
});

/** What the routes of the audit trail read. */
export interface AuditRouteDeps {
  events: EventStore;
  /** Seals chain positions into cursors that tell a scoped caller nothing about other sites. */
  cursors: PositionCursors;
  /** Largest page a list may ask for. */
  maxPage?: number;
  /** Department scopes (issue 16); absent where the gateway has no departments. */
  supervision?: SupervisionApi;
}

/**
 * A row as a scoped caller may read it: without the chain fields. Its `seq` (and `prevHash`, and
 * the `hash` computed from both) would show how many rows of other sites lie between its rows.
 */
function scopedRow({ seq: _s, prevHash: _p, hash: _h, ...row }: AuditRecord) {
  return row;
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
            after: z.coerce.number().int().min(0).optional().describe(`rows after this chain seq; ${chainOnly} (others page with cursor)`),
            cursor: z.string().max(64).optional().describe('the nextCursor of the page before'),
            limit: limitParam(5000, 500),
          })
          .strict(),
        response: {
          200: z.object({
            records: z.array(auditRecord),
            nextCursor: z.string().nullable().describe('pass as cursor= for the next page; null on the last page'),
            nextAfter: z.number().nullable().optional().describe(`the seq of the page's last row; ${chainOnly}`),
          }),
        },
      },
    },
    async (req) => {
      const p = principal(req);
      if (req.query.site) requireSite(p, req.query.site);
      const whole = seesWholeChain(p);
      const { after, cursor, ...rest } = req.query;
      if (after !== undefined && cursor !== undefined) throw new ApiError('GW_BAD_CURSOR', 'give either after= or cursor=, not both');
      if (after !== undefined && !whole) throw new ApiError('GW_BAD_CURSOR', 'after= takes a chain position, which only callers of every site see; page with cursor= (the nextCursor of the page before)');
      const afterSeq = cursor !== undefined ? deps.cursors.open('audit', p, cursor) : after;
      rest.limit = pageLimit(req, rest.limit, deps.maxPage);
      // The scope goes into the query: filtering a page afterwards showed how many rows of
      // other sites it held (issue 20, finding 14).
      // A department-scoped caller reads the rows of the events its departments hold, as it lists them.
      const departments = p.departments && deps.supervision ? { departments: { names: p.departments, items: deps.supervision.itemsOf(p.departments) } } : {};
      const records = deps.events.audit.list({ ...rest, ...(p.sites ? { sites: p.sites } : {}), ...departments, ...(afterSeq !== undefined ? { afterSeq } : {}) });
      const last = records.length === rest.limit ? records.at(-1)!.seq : null;
      const nextCursor = last === null ? null : deps.cursors.seal('audit', p, last);
      if (!whole) return { records: records.map(scopedRow), nextCursor };
      return { records, nextCursor, nextAfter: last };
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
    async (req) => {
      // Supervisors see every site today; should a scoped one ever exist, the row count and
      // positions verify answers are not theirs to read.
      if (!seesWholeChain(principal(req))) throw new ApiError('GW_FORBIDDEN', 'verifying the chain needs a caller of every site');
      return deps.events.verify();
    },
  );
};
