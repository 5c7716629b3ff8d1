import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { severitySchema } from '../../domain/index.js';
import { dispositionSchema, eventDetailSchema, eventStateSchema, LifecycleError, supervisionEventSchema, transitionRecordSchema, type AppliedTransition } from '../../events/index.js';
import { canSee, principal, requireSite } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { idParam, limitParam, pageLimit, timeParam } from '../query.js';

const listQuery = z
  .object({
    site: idParam.optional(),
    device: idParam.optional(),
    state: eventStateSchema.optional(),
    severity: severitySchema.optional(),
    since: timeParam.optional(),
    until: timeParam.optional(),
    limit: limitParam(1000, 100),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const eventIdParams = z.object({ id: z.string().regex(/^ev-[0-9a-z]{9}-[0-9a-f]{10}$/, 'is not an event id') });
const note = z.string().trim().min(1, 'a note is required').max(4000);
const ruleLevelSchema = z.object({
  severity: severitySchema,
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  outside: z.tuple([z.number(), z.number()]).optional(),
});
const transitionResponse = z.object({ event: supervisionEventSchema, transition: transitionRecordSchema.nullable() });

export const eventRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/events',
    {
      config: { role: 'viewer' },
      schema: { querystring: listQuery, response: { 200: z.object({ events: z.array(supervisionEventSchema), nextCursor: z.string().nullable() }) } },
    },
    async (req) => {
      const p = principal(req);
      if (req.query.site) requireSite(p, req.query.site);
      const before = req.query.cursor === undefined ? undefined : decodeCursor(req.query.cursor);
      const { cursor: _c, ...filter } = req.query;
      filter.limit = pageLimit(req, filter.limit, deps.maxPage);
      const events = deps.events.list({ ...filter, ...(before ? { before } : {}), ...(p.sites ? { sites: p.sites } : {}) });
      const last = events.at(-1);
      return { events, nextCursor: events.length === filter.limit && last ? encodeCursor(last.raisedAt, last.id) : null };
    },
  );

  app.get(
    '/api/events/:id',
    {
      config: { role: 'viewer' },
      schema: {
        params: eventIdParams,
        response: {
          200: eventDetailSchema.extend({
            ruleInfo: z.object({
              id: z.string(),
              version: z.string(),
              item: z.string(),
              itemName: z.string().nullable(),
              basis: z.string().nullable(),
              department: z.string().nullable(),
              // The alarm levels in force for the event's device, for drawing; absent for rules without levels.
              levels: z.array(ruleLevelSchema).optional(),
            }),
          }),
        },
      },
    },
    async (req) => {
      const event = deps.events.get(req.params.id);
      // Outside the caller's scope an event does not exist for them.
      if (!event || !canSee(principal(req), event.site)) throw new ApiError('GW_NOT_FOUND', `no event ${req.params.id}`);
      const item = deps.rules.item(event.item);
      const levels = deps.rules.levels?.(event.rule, event.site, event.device);
      return {
        ...event,
        ruleInfo: {
          id: event.rule,
          version: event.ruleVersion,
          item: event.item,
          itemName: item?.name ?? null,
          basis: item?.basis ?? null,
          department: item?.department ?? null,
          ...(levels ? { levels } : {}),
        },
      };
    },
  );

  // Lifecycle: each answers the event after the change and the transition recorded (null when nothing was).
  const act = (run: () => AppliedTransition | null, id: string) => {
    try {
      const applied = run();
      if (applied) return { event: applied.event, transition: applied.transition };
      const current = deps.events.get(id)!;
      const { transitions: _t, evidence: _e, ...event } = current;
      return { event, transition: null };
    } catch (err) {
      if (err instanceof LifecycleError) {
        if (err.kind === 'not_found') throw new ApiError('GW_NOT_FOUND', err.message);
        throw new ApiError('GW_CONFLICT', err.message, { state: err.state });
      }
      throw err;
    }
  };
  const visibleEvent = (req: { params: { id: string } } & Parameters<typeof principal>[0]) => {
    const e = deps.events.get(req.params.id);
    if (!e || !canSee(principal(req), e.site)) throw new ApiError('GW_NOT_FOUND', `no event ${req.params.id}`);
  };

  app.post(
    '/api/events/:id/acknowledge',
    { config: { role: 'operator' }, schema: { params: eventIdParams, body: z.object({ note: note.optional() }).strict().optional(), response: { 200: transitionResponse } } },
    async (req) => {
      visibleEvent(req);
      return act(() => deps.actions.acknowledge(req.params.id, principal(req), req.body?.note ?? null), req.params.id);
    },
  );

  app.post(
    '/api/events/:id/comments',
    { config: { role: 'operator' }, schema: { params: eventIdParams, body: z.object({ note }).strict(), response: { 200: transitionResponse } } },
    async (req) => {
      visibleEvent(req);
      return act(() => deps.actions.comment(req.params.id, principal(req), req.body.note), req.params.id);
    },
  );

  app.post(
    '/api/events/:id/resolve',
    { config: { role: 'supervisor' }, schema: { params: eventIdParams, body: z.object({ note }).strict(), response: { 200: transitionResponse } } },
    async (req) => {
      visibleEvent(req);
      return act(() => deps.actions.resolve(req.params.id, principal(req), req.body.note), req.params.id);
    },
  );

  app.post(
    '/api/events/:id/close',
    {
      config: { role: 'supervisor' },
      schema: { params: eventIdParams, body: z.object({ disposition: dispositionSchema, note }).strict(), response: { 200: transitionResponse } },
    },
    async (req) => {
      visibleEvent(req);
      return act(() => deps.actions.close(req.params.id, principal(req), req.body.disposition, req.body.note), req.params.id);
    },
  );
};
