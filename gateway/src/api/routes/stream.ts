import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { severitySchema } from '../../domain/index.js';
import { canSeeDepartment, principal, requireSite, seesWholeChain } from '../auth.js';
import type { SseHub, StreamView } from '../../fanout/index.js';
import type { AppliedTransition, EventStore } from '../../events/index.js';
import type { PositionCursors } from '../cursor.js';
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
    lastEventId: z.string().max(64).optional().describe('as the Last-Event-ID header, for clients that cannot set it: the id of the last event received'),
  })
  .strict();

/** What the routes of the live event stream read. */
export interface StreamRouteDeps {
  sse: SseHub;
  events: EventStore;
  rules: RulesView;
  /** Seals the `id:` of a scoped caller's stream. */
  cursors: PositionCursors;
  clock: () => number;
}

/**
 * The audit position a reconnecting client names (Last-Event-ID). A caller of every site may
 * give the audit seq it was sent; a scoped caller only the sealed id its own stream sent it, so it
 * can neither read a position nor make one up to probe with (issue 20, finding 14).
 */
function resumeFrom(cursors: PositionCursors, p: ReturnType<typeof principal>, id: string | undefined): number | undefined {
  if (id === undefined || id === '') return undefined;
  if (/^\d{1,15}$/.test(id)) {
    if (seesWholeChain(p)) return Number(id);
    throw new ApiError('GW_BAD_CURSOR', 'Last-Event-ID: a number is an audit position, which only callers of every site are sent; give the id your stream sent you, or reconnect without it');
  }
  if (!cursors.looksSealed(id)) throw new ApiError('GW_BAD_CURSOR', 'Last-Event-ID is not an id this stream sent (reconnect without it to start from now)');
  return cursors.open('stream', p, id);
}

export const streamRoutes = (deps: StreamRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/events/stream', { config: { role: 'viewer' }, schema: { querystring: streamQuery } }, async (req, reply) => {
    const p = principal(req);
    if (req.query.site) requireSite(p, req.query.site);
    const header = req.headers['last-event-id'];
    const last = resumeFrom(deps.cursors, p, typeof header === 'string' && header !== '' ? header : req.query.lastEventId);
    const view: StreamView = seesWholeChain(p) ? { id: String, seq: true } : { id: (seq) => deps.cursors.seal('stream', p, seq), seq: false };
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
    deps.sse.add(res, filter, p.user, catchUp, view);
  });
};
