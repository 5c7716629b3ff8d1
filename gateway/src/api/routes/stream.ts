import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { severitySchema } from '../../domain/index.js';
import { canSeeDepartment, principal, requireSite } from '../auth.js';
import type { SseHub } from '../../fanout/index.js';
import type { AppliedTransition, EventStore } from '../../events/index.js';
import type { RulesView } from '../deps.js';
import { ApiError } from '../errors.js';
import { idParam } from '../query.js';

// A reconnecting client gets what it missed within this much history.
const CATCH_UP_MS = 3_600_000;
const CATCH_UP_MAX = 10_000;

const streamQuery = z
  .object({
    site: idParam.optional(),
    severity: severitySchema.optional(),
    minSeverity: severitySchema.optional(),
    lastEventId: z.coerce.number().int().min(0).optional(),
  })
  .strict();

/** What the routes of the live event stream read. */
export interface StreamRouteDeps {
  sse: SseHub;
  events: EventStore;
  rules: RulesView;
  clock: () => number;
}

export const streamRoutes = (deps: StreamRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/events/stream', { config: { role: 'viewer' }, schema: { querystring: streamQuery } }, async (req, reply) => {
    const p = principal(req);
    if (req.query.site) requireSite(p, req.query.site);
    const header = req.headers['last-event-id'];
    const fromHeader = typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
    const last = fromHeader ?? req.query.lastEventId;
    const sites = req.query.site ? [req.query.site] : p.sites;
    // A department-scoped caller gets the events its departments hold now: referred to them, or of their items.
    const accept = p.departments ? (a: AppliedTransition) => canSeeDepartment(p, deps.events.departmentOf(a.event.id), deps.rules.item(a.event.item)?.department) : undefined;
    const filter = { sites, severity: req.query.severity, minSeverity: req.query.minSeverity, ...(accept ? { accept } : {}) };
    if (!deps.sse.canOpen(p.user)) throw new ApiError('GW_RATE_LIMITED', 'too many open event streams for this user; close one first');
    const notBefore = deps.clock() - CATCH_UP_MS;
    // Read from the database a page at a time as the client takes them, never all at once.
    const catchUp = last === undefined ? undefined : { after: last, max: CATCH_UP_MAX, page: (after: number, limit: number) => deps.events.transitionsPage(after, notBefore, limit) };

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Tell the browser how long to wait before it reconnects on its own.
    res.write('retry: 2000\n\n');
    deps.sse.add(res, filter, p.user, catchUp);
  });
};
