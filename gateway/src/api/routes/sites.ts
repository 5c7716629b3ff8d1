import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sectorSchema } from '../../domain/index.js';
import { canSee, principal } from '../auth.js';
import type { Registry } from '../../registry/index.js';
import type { DeviceLiveState, RegistryReload } from '../deps.js';
import type { EventStore } from '../../events/index.js';

const siteSchema = z.object({
  id: z.string(),
  name: z.string(),
  sector: sectorSchema,
  creditCode: z.string().nullable(),
  devices: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      online: z.boolean(),
      lastSeen: z.number().nullable(),
      latest: z.record(z.string(), z.object({ value: z.number(), ts: z.number() })),
    }),
  ),
  openEvents: z.number(),
});

/** What the routes of sites and devices read. */
export interface SiteRouteDeps {
  registry: () => Registry;
  devices: () => ReadonlyMap<string, DeviceLiveState>;
  events: EventStore;
}

export const siteRoutes = (deps: SiteRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/sites', { config: { role: 'viewer' }, schema: { response: { 200: z.object({ sites: z.array(siteSchema) }) } } }, async (req) => {
    const p = principal(req);
    const live = deps.devices();
    const sites = deps.registry().sites.filter((s) => canSee(p, s.id)).map((s) => {
      const counts = deps.events.countsByState(s.id);
      return {
        id: s.id,
        name: s.name,
        sector: s.sector,
        creditCode: s.creditCode ?? null,
        devices: s.devices.map((d) => {
          const state = live.get(d.id);
          return { id: d.id, kind: d.kind, online: state?.online ?? false, lastSeen: state?.lastSeen ?? null, latest: state?.latest ?? {} };
        }),
        openEvents: counts.open + counts.acknowledged,
      };
    });
    return { sites };
  });
};

/** What the routes of the registry reload read. */
export interface RegistryRouteDeps {
  reloadRegistry: () => RegistryReload;
}

export const registryRoutes = (deps: RegistryRouteDeps): FastifyPluginAsyncZod => async (app) => {
  // Also done by a watcher on the registry file; this is for systems that cannot wait for it.
  app.post(
    '/api/registry/reload',
    {
      config: { role: 'admin' },
      schema: {
        response: {
          200: z.object({ ok: z.literal(true), sites: z.number(), devices: z.number(), added: z.array(z.string()), removed: z.array(z.string()) }),
          422: z.object({ error: z.object({ code: z.string(), message: z.string(), problems: z.array(z.string()) }) }),
        },
      },
    },
    async (_req, reply) => {
    const r = deps.reloadRegistry();
    if (r.ok) return r;
    return reply.code(422).send({ error: { code: 'GW_REGISTRY_INVALID', message: `the registry has ${r.problems.length} problem(s); the registry in force is unchanged`, problems: r.problems } });
    },
  );
};
