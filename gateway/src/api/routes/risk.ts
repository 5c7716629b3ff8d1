import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema, riskLevelSchema } from '../../domain/index.js';
import { riskScoreSchema } from '../../risk/index.js';
import { canSee, principal } from '../auth.js';
import type { ReadingsSource } from '../deps.js';
import type { Registry } from '../../registry/index.js';
import { ApiError } from '../errors.js';
import type { SupervisionApi } from '../supervision-deps.js';

const rankedSchema = riskScoreSchema.extend({ name: z.string(), sector: z.string() });

/** What the routes of risk scores (beside SupervisionApi) read. */
export interface RiskRouteDeps {
  /** Stored readings; null when history is off. */
  readings: ReadingsSource | null;
  registry: () => Registry;
}

export const riskRoutes = (deps: RiskRouteDeps, sup: SupervisionApi): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/risk',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: z.object({ level: riskLevelSchema.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(500) }).strict(),
        response: { 200: z.object({ modelVersion: z.string(), windowDays: z.number(), sites: z.array(rankedSchema) }) },
      },
    },
    async (req) => {
      const p = principal(req);
      const registry = deps.registry();
      const sites = sup.risk
        .ranking()
        .filter((r) => canSee(p, r.site) && (req.query.level === undefined || r.level === req.query.level))
        .slice(0, req.query.limit)
        .flatMap((r) => {
          const s = registry.site(r.site);
          return s ? [{ ...r, name: s.name, sector: s.sector }] : [];
        });
      const model = sup.risk.model();
      return { modelVersion: model.version, windowDays: model.windowDays, sites };
    },
  );

  app.get(
    '/api/sites/:id/risk',
    {
      config: { role: 'viewer' },
      schema: {
        params: z.object({ id: idSchema }),
        querystring: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }).strict(),
        response: { 200: z.object({ current: riskScoreSchema.nullable(), trend: z.array(z.object({ at: z.number(), score: z.number(), level: z.string() })), history: z.enum(['on', 'off']) }) },
      },
    },
    async (req) => {
      const id = req.params.id;
      if (!deps.registry().site(id) || !canSee(principal(req), id)) throw new ApiError('GW_NOT_FOUND', `no site ${id}`);
      let trend: Awaited<ReturnType<typeof sup.risk.trend>>;
      try {
        trend = await sup.risk.trend(id, req.query.days);
      } catch (err) {
        req.log.warn({ err }, 'risk trend query failed');
        throw new ApiError('GW_UPSTREAM');
      }
      return { current: sup.risk.site(id) ?? null, trend, history: deps.readings ? ('on' as const) : ('off' as const) };
    },
  );
};
