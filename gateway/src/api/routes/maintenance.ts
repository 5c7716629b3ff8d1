import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_WINDOW_MS, maintenanceWindowSchema, newWindowSchema, WINDOW_TOO_LONG, windowChangeSchema, type Maintenance } from '../../events/index.js';
import { canSee, principal, requireSite } from '../auth.js';
import type { Registry } from '../../registry/index.js';
import { ApiError } from '../errors.js';
import { idParam } from '../query.js';

const params = z.object({ id: z.string().regex(/^mw-[0-9a-f]{12}$/, 'is not a maintenance window id') });

/** What the routes of maintenance windows read. */
export interface MaintenanceRouteDeps {
  maintenance: Maintenance;
  registry: () => Registry;
  clock: () => number;
}

export const maintenanceRoutes = (deps: MaintenanceRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/maintenance',
    { config: { role: 'viewer' }, schema: { querystring: z.object({ site: idParam.optional() }).strict(), response: { 200: z.object({ windows: z.array(maintenanceWindowSchema) }) } } },
    async (req) => {
      const p = principal(req);
      if (req.query.site) requireSite(p, req.query.site);
      return { windows: deps.maintenance.list(req.query.site).filter((w) => canSee(p, w.site)) };
    },
  );

  app.post('/api/maintenance', { config: { role: 'supervisor' }, schema: { body: newWindowSchema, response: { 201: maintenanceWindowSchema } } }, async (req, reply) => {
    if (!deps.registry().site(req.body.site)) throw new ApiError('GW_NOT_FOUND', `no site ${req.body.site}`);
    // A window names a device of its own site (issue 20, finding 14): another site's device, or
    // one not in the registry, would silence nothing that exists, or the wrong site's records.
    if (req.body.device !== undefined) {
      const d = deps.registry().device(req.body.device);
      if (!d) throw new ApiError('GW_BAD_REQUEST', `body.device: no device ${req.body.device} in the registry`);
      if (d.site !== req.body.site) throw new ApiError('GW_BAD_REQUEST', `body.device: ${req.body.device} belongs to site ${d.site}, not ${req.body.site}`);
    }
    const w = deps.maintenance.create(req.body, principal(req).user, deps.clock());
    return reply.code(201).send(w);
  });

  app.patch('/api/maintenance/:id', { config: { role: 'supervisor' }, schema: { params, body: windowChangeSchema, response: { 200: maintenanceWindowSchema } } }, async (req) => {
    const w = deps.maintenance.get(req.params.id);
    if ((req.body.end ?? w.end) - (req.body.start ?? w.start) > MAX_WINDOW_MS) throw new ApiError('GW_BAD_REQUEST', `body.end: ${WINDOW_TOO_LONG}`);
    return deps.maintenance.change(req.params.id, req.body, principal(req).user, deps.clock());
  });

  app.post('/api/maintenance/:id/end', { config: { role: 'supervisor' }, schema: { params, response: { 200: maintenanceWindowSchema } } }, async (req) => {
    return deps.maintenance.end(req.params.id, principal(req).user, deps.clock());
  });
};
