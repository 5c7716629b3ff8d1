import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema } from '../../domain/index.js';
import { profileChangeSchema, siteProfileSchema } from '../../enterprise/index.js';
import { canSee, principal } from '../auth.js';
import type { Registry } from '../../registry/index.js';
import { ApiError } from '../errors.js';
import type { SupervisionApi } from '../supervision-deps.js';

const siteParams = z.object({ id: idSchema });

/** What the routes of enterprise profiles (beside SupervisionApi) read. */
export interface ProfileRouteDeps {
  registry: () => Registry;
  clock: () => number;
}

export const profileRoutes = (deps: ProfileRouteDeps, sup: SupervisionApi): FastifyPluginAsyncZod => async (app) => {
  const visibleSite = (p: Parameters<typeof canSee>[0], id: string) => {
    const s = deps.registry().site(id);
    if (!s || !canSee(p, id)) throw new ApiError('GW_NOT_FOUND', `no site ${id}`);
    return s;
  };

  app.get('/api/profiles', { config: { role: 'viewer' }, schema: { response: { 200: z.object({ profiles: z.array(siteProfileSchema) }) } } }, async (req) => {
    const p = principal(req);
    return { profiles: sup.profiles.all(deps.registry().sites.filter((s) => canSee(p, s.id))) };
  });

  app.get('/api/sites/:id/profile', { config: { role: 'viewer' }, schema: { params: siteParams, response: { 200: siteProfileSchema } } }, async (req) =>
    sup.profiles.of(visibleSite(principal(req), req.params.id)),
  );

  app.put('/api/sites/:id/profile', { config: { role: 'supervisor' }, schema: { params: siteParams, body: profileChangeSchema, response: { 200: siteProfileSchema } } }, async (req) => {
    const site = visibleSite(principal(req), req.params.id);
    const known = new Set(sup.departments());
    for (const d of req.body.departments ?? []) if (!known.has(d)) throw new ApiError('GW_BAD_REQUEST', `body.departments: "${d}" is not a department of the catalogue`);
    return sup.profiles.change(site, req.body, principal(req).user, deps.clock());
  });
};
