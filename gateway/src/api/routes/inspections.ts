import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema } from '../../domain/index.js';
import { drawSchema, InspectionError, inspectionRecordSchema, newPlanSchema, planParamsSchema, poolSchema, visitRecordSchema, type Plan } from '../../inspections/index.js';
import { UserError } from '../../users/index.js';
import { principal } from '../auth.js';
import type { Registry } from '../../registry/index.js';
import type { EvidenceLookup } from '../deps.js';
import { ApiError } from '../errors.js';
import type { SupervisionApi } from '../supervision-deps.js';

const planId = z.string().regex(/^plan-\d{8}-[0-9a-f]{8}$/, 'is not a plan id');
const planSchema = z.object({
  id: z.string(),
  title: z.string(),
  params: planParamsSchema,
  state: z.enum(['committed', 'drawn']),
  seedHash: z.string(),
  seed: z.string().nullable(),
  policyVersion: z.string().nullable(),
  poolHash: z.string().nullable(),
  pool: poolSchema.nullable(),
  drawHash: z.string().nullable(),
  draw: drawSchema.nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
  drawnAt: z.number().nullable(),
  drawnBy: z.string().nullable(),
});
const toApi = ({ policy: _p, ...plan }: Plan) => plan;

function mapError(err: unknown): never {
  if (err instanceof InspectionError) {
    const code = ({ not_found: 'GW_NOT_FOUND', conflict: 'GW_CONFLICT', bad_request: 'GW_BAD_REQUEST', forbidden: 'GW_FORBIDDEN' } as const)[err.kind];
    throw new ApiError(code, err.message);
  }
  throw err;
}
const guard = <T>(run: () => T): T => {
  try {
    return run();
  } catch (err) {
    mapError(err);
  }
};

/** What the routes of inspections (beside SupervisionApi) read. */
export interface InspectionRouteDeps {
  registry: () => Registry;
  /** Evidence pictures by SHA-256; absent when the gateway keeps none. */
  evidence?: EvidenceLookup;
}

export const inspectionRoutes = (deps: InspectionRouteDeps, sup: SupervisionApi): FastifyPluginAsyncZod => async (app) => {
  const plan = (id: string) => sup.inspections.get(id) ?? mapError(new InspectionError('not_found', `no inspection plan ${id}`));

  app.post('/api/inspections/plans', { config: { role: 'supervisor' }, schema: { body: newPlanSchema, response: { 201: planSchema } } }, async (req, reply) =>
    reply.code(201).send(toApi(guard(() => sup.inspections.create(req.body, principal(req).user)))),
  );

  app.get('/api/inspections/plans', { config: { role: 'viewer' }, schema: { response: { 200: z.object({ plans: z.array(planSchema.omit({ pool: true, draw: true })) }) } } }, async () => ({
    plans: sup.inspections.list().map(({ pool: _pool, draw: _draw, ...p }) => toApi({ ...p, pool: null, draw: null })),
  }));

  app.get(
    '/api/inspections/plans/:id',
    { config: { role: 'viewer' }, schema: { params: z.object({ id: planId }), response: { 200: planSchema.extend({ records: z.array(inspectionRecordSchema) }) } } },
    async (req) => ({ ...toApi(plan(req.params.id)), records: sup.inspections.records(req.params.id) }),
  );

  app.post('/api/inspections/plans/:id/draw', { config: { role: 'supervisor' }, schema: { params: z.object({ id: planId }), response: { 200: planSchema } } }, async (req) =>
    toApi(guard(() => sup.inspections.draw(req.params.id, principal(req).user))),
  );

  // Only an inspector drawn for the visit records it (the route checks the draw, not the role order).
  app.post(
    '/api/inspections/plans/:id/visits/:site/records',
    { config: { role: 'inspector' }, schema: { params: z.object({ id: planId, site: idSchema }), body: visitRecordSchema, response: { 201: z.object({ records: z.array(inspectionRecordSchema) }) } } },
    async (req, reply) => {
      const p = principal(req);
      if (p.role !== 'inspector') throw new ApiError('GW_FORBIDDEN', 'inspection results are recorded by the inspectors drawn for the visit');
      // Pictures are evidence-store pictures of this site, named by their SHA-256.
      for (const sha of req.body.pictures ?? []) {
        const pic = /^[0-9a-f]{64}$/.test(sha) ? await deps.evidence?.get(sha) : undefined;
        if (!pic || !pic.sites.includes(req.params.site)) throw new ApiError('GW_BAD_REQUEST', `body.pictures: ${sha.slice(0, 80)} is not a picture of site ${req.params.site} in the evidence store`);
      }
      return reply.code(201).send({ records: guard(() => sup.inspections.record(req.params.id, req.params.site, p.user, req.body)) });
    },
  );

  app.post(
    '/api/inspections/plans/:id/visits/:site/items/:item/rectified',
    {
      config: { role: 'inspector' },
      schema: { params: z.object({ id: planId, site: idSchema, item: z.string().max(64) }), body: z.object({ note: z.string().trim().min(1, 'a note is required').max(4000) }).strict(), response: { 200: inspectionRecordSchema } },
    },
    async (req) => {
      const p = principal(req);
      const visit = plan(req.params.id).draw?.visits.find((v) => v.site === req.params.site);
      const allowed = p.role === 'supervisor' || p.role === 'admin' || (p.role === 'inspector' && visit?.inspectors.includes(p.user));
      if (!allowed) throw new ApiError('GW_FORBIDDEN', 'a rectification is confirmed by an inspector of the visit or a supervisor');
      return guard(() => sup.inspections.rectified(req.params.id, req.params.site, req.params.item, p.user, req.body.note));
    },
  );

  app.put(
    '/api/inspectors/:name/conflicts',
    {
      config: { role: 'supervisor' },
      schema: { params: z.object({ name: idSchema }), body: z.object({ sites: z.array(idSchema).max(1000), note: z.string().trim().min(1, 'a note is required').max(4000) }).strict(), response: { 200: z.object({ name: z.string(), conflicts: z.array(z.string()) }) } },
    },
    async (req) => {
      for (const s of req.body.sites) if (!deps.registry().site(s)) throw new ApiError('GW_BAD_REQUEST', `body.sites: no site ${s}`);
      try {
        const u = sup.inspections.declareConflicts(req.params.name, req.body.sites, principal(req).user, req.body.note);
        return { name: u.name, conflicts: u.conflicts };
      } catch (err) {
        if (err instanceof UserError) throw new ApiError('GW_NOT_FOUND', err.message);
        throw err;
      }
    },
  );
};
