import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sectorSchema, SEVERITIES, severitySchema, type Severity } from '../../domain/index.js';
import { dispositionSchema, EVENT_ORDERS, EVENT_STATES, type EventState, eventDetailSchema, eventStateSchema, supervisionEventSchema, transitionRecordSchema, type AppliedTransition, type EventStore } from '../../events/index.js';
import { canSee, canSeeDepartment, principal, requireSite, seesWholeChain } from '../auth.js';
import type { EventActions, RulesView } from '../deps.js';
import type { SupervisionApi } from '../supervision-deps.js';
import { ApiError } from '../errors.js';
import { decodePageCursor, encodePageCursor } from '../cursor.js';
import { idParam, limitParam, pageLimit, timeParam } from '../query.js';

const filterQuery = {
  site: idParam.optional(),
  device: idParam.optional(),
  sector: sectorSchema.optional(),
  state: z.enum([...EVENT_STATES, 'active']).optional().describe('one state, or active (open or acknowledged)'),
  severity: severitySchema.optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  since: timeParam.optional(),
  until: timeParam.optional(),
};
const listQuery = z
  .object({
    ...filterQuery,
    order: z.enum(EVENT_ORDERS).default('priority').describe('priority: unacknowledged critical first, then severity and age; newest: newest first'),
    limit: limitParam(1000, 100),
    cursor: z.string().max(400).optional(),
  })
  .strict();
const summaryQuery = z.object(filterQuery).strict();
const severityCounts = z.object(Object.fromEntries(SEVERITIES.map((s) => [s, z.number()])) as Record<Severity, z.ZodNumber>);
const summarySchema = z.object({
  total: z.number(),
  byState: z.object(Object.fromEntries(EVENT_STATES.map((s) => [s, z.number()])) as Record<EventState, z.ZodNumber>),
  bySeverity: severityCounts,
  unacknowledged: severityCounts,
  overdue: severityCounts,
  bySite: z.record(z.string(), severityCounts),
});

const eventIdParams = z.object({ id: z.string().regex(/^ev-[0-9a-z]{9}-[0-9a-f]{10}$/, 'is not an event id') });
const note = z.string().trim().min(1, 'a note is required').max(4000);
export const ruleLevelSchema = z.object({
  severity: severitySchema,
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  outside: z.tuple([z.number(), z.number()]).optional(),
});
// A transition as the API answers it: its audit `seq` only to callers of every site, since the
// gaps between an event's seqs count the audit rows of every other site (issue 20, finding 14).
const transitionView = transitionRecordSchema.extend({
  seq: z.number().optional().describe('the audit chain position; only for callers who see every site and department'),
});
const transitionResponse = z.object({ event: supervisionEventSchema, transition: transitionView.nullable() });
type Transition = z.infer<typeof transitionRecordSchema>;
const withoutSeq = ({ seq: _s, ...t }: Transition) => t;
const shown = (p: ReturnType<typeof principal>, t: Transition) => (seesWholeChain(p) ? t : withoutSeq(t));

/** What the routes of the supervision events read. */
export interface EventRouteDeps {
  events: EventStore;
  actions: EventActions;
  rules: RulesView;
  /** Largest page a list may ask for. */
  maxPage?: number;
  /** Department scopes (issue 16); absent where the gateway has no departments. */
  supervision?: SupervisionApi;
}

export const eventRoutes = (deps: EventRouteDeps): FastifyPluginAsyncZod => async (app) => {
  // The caller's filters plus their scope; a site outside it is refused, not silently empty.
  const scoped = <Q extends { site?: string }>(req: Parameters<typeof principal>[0], q: Q) => {
    const p = principal(req);
    if (q.site) requireSite(p, q.site);
    const departments = p.departments && deps.supervision ? { departments: { names: p.departments, items: deps.supervision.itemsOf(p.departments) } } : {};
    return { ...q, ...(p.sites ? { sites: p.sites } : {}), ...departments };
  };
  const canSeeEvent = (p: ReturnType<typeof principal>, e: { id: string; site: string; item: string }) =>
    canSee(p, e.site) && canSeeDepartment(p, deps.events.departmentOf(e.id), deps.rules.item(e.item)?.department);

  app.get(
    '/api/events',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: listQuery,
        response: { 200: z.object({ events: z.array(supervisionEventSchema), nextCursor: z.string().nullable(), total: z.number(), summary: summarySchema }) },
      },
    },
    async (req) => {
      const { cursor, limit, order, ...filter } = scoped(req, req.query);
      const after = cursor === undefined ? undefined : decodePageCursor(cursor, order);
      const page = deps.events.page({ ...filter, order, limit: pageLimit(req, limit, deps.maxPage), ...(after ? { after } : {}) });
      const summary = deps.events.summary(filter);
      return { events: page.events, nextCursor: page.after ? encodePageCursor(order, page.after) : null, total: summary.total, summary };
    },
  );

  app.get(
    '/api/events/summary',
    { config: { role: 'viewer' }, schema: { querystring: summaryQuery, response: { 200: summarySchema } } },
    async (req) => deps.events.summary(scoped(req, req.query)),
  );

  app.get(
    '/api/events/:id',
    {
      config: { role: 'viewer' },
      schema: {
        params: eventIdParams,
        response: {
          200: eventDetailSchema.extend({
            transitions: z.array(transitionView),
            ruleInfo: z.object({
              id: z.string(),
              version: z.string(),
              item: z.string(),
              itemName: z.string().nullable(),
              basis: z.string().nullable(),
              department: z.string().nullable(),
              itemNameZh: z.string().nullable(),
              basisZh: z.string().nullable(),
              departmentZh: z.string().nullable(),
              titleZh: z.string().nullable(),
              // The alarm levels in force for the event's device, for drawing; absent for rules without levels.
              levels: z.array(ruleLevelSchema).optional(),
            }),
          }),
        },
      },
    },
    async (req) => {
      const p = principal(req);
      const event = deps.events.get(req.params.id);
      // Outside the caller's scope an event does not exist for them.
      if (!event || !canSeeEvent(p, event)) throw new ApiError('GW_NOT_FOUND', `no event ${req.params.id}`);
      const item = deps.rules.item(event.item);
      const levels = deps.rules.levels?.(event.rule, event.site, event.device);
      return {
        ...event,
        transitions: event.transitions.map((t) => shown(p, t)),
        ruleInfo: {
          id: event.rule,
          version: event.ruleVersion,
          item: event.item,
          itemName: item?.name ?? null,
          basis: item?.basis ?? null,
          department: item?.department ?? null,
          itemNameZh: item?.name_zh ?? null,
          basisZh: item?.basis_zh ?? null,
          departmentZh: item?.department_zh ?? null,
          titleZh: deps.rules.list().find((r) => r.id === event.rule)?.titleZh ?? null,
          ...(levels ? { levels } : {}),
        },
      };
    },
  );

  // Lifecycle: each answers the event after the change and the transition recorded (null when nothing was).
  // A request the lifecycle does not allow throws LifecycleError, answered 404/409 by the error handler.
  const act = (req: Parameters<typeof principal>[0], run: () => AppliedTransition | null, id: string) => {
    const applied = run();
    if (applied) return { event: applied.event, transition: shown(principal(req), applied.transition) };
    const current = deps.events.get(id)!;
    const { transitions: _t, evidence: _e, ...event } = current;
    return { event, transition: null };
  };
  const visibleEvent = (req: { params: { id: string } } & Parameters<typeof principal>[0]) => {
    const e = deps.events.get(req.params.id);
    if (!e || !canSeeEvent(principal(req), e)) throw new ApiError('GW_NOT_FOUND', `no event ${req.params.id}`);
  };

  // 协同监管: hand an open or acknowledged event to another department, with a note (audited).
  app.post(
    '/api/events/:id/refer',
    {
      config: { role: 'operator' },
      schema: { params: eventIdParams, body: z.object({ department: z.string().trim().min(1).max(200), note }).strict(), response: { 200: transitionResponse } },
    },
    async (req) => {
      visibleEvent(req);
      const refer = deps.actions.refer;
      if (!refer || !deps.supervision) throw new ApiError('GW_NOT_FOUND', 'this gateway has no departments');
      if (!deps.supervision.departments().includes(req.body.department)) throw new ApiError('GW_BAD_REQUEST', `body.department: "${req.body.department}" is not a department of the catalogue`);
      return act(req, () => refer(req.params.id, principal(req), req.body.department, req.body.note), req.params.id);
    },
  );

  app.post(
    '/api/events/:id/acknowledge',
    { config: { role: 'operator' }, schema: { params: eventIdParams, body: z.object({ note: note.optional() }).strict().optional(), response: { 200: transitionResponse } } },
    async (req) => {
      visibleEvent(req);
      return act(req, () => deps.actions.acknowledge(req.params.id, principal(req), req.body?.note ?? null), req.params.id);
    },
  );

  app.post(
    '/api/events/:id/comments',
    { config: { role: 'operator' }, schema: { params: eventIdParams, body: z.object({ note }).strict(), response: { 200: transitionResponse } } },
    async (req) => {
      visibleEvent(req);
      return act(req, () => deps.actions.comment(req.params.id, principal(req), req.body.note), req.params.id);
    },
  );

  app.post(
    '/api/events/:id/resolve',
    { config: { role: 'supervisor' }, schema: { params: eventIdParams, body: z.object({ note }).strict(), response: { 200: transitionResponse } } },
    async (req) => {
      visibleEvent(req);
      return act(req, () => deps.actions.resolve(req.params.id, principal(req), req.body.note), req.params.id);
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
      return act(req, () => deps.actions.close(req.params.id, principal(req), req.body.disposition, req.body.note), req.params.id);
    },
  );
};
