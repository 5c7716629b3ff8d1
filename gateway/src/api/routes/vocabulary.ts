import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { METRICS, metricNameSchema } from '../../domain/index.js';
import { principal, requireSite } from '../auth.js';
import { ApiError } from '../errors.js';
import { idParam } from '../query.js';
import { ruleLevelSchema } from './events.js';
import type { Registry } from '../../registry/index.js';
import type { RulesView } from '../deps.js';

// The published metric vocabulary with units, so the console shows every value with its unit.
/** What the routes of the vocabulary read. */
export interface VocabularyRouteDeps {
  registry: () => Registry;
  rules: RulesView;
}

export const vocabularyRoutes = (deps: VocabularyRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/metrics',
    {
      config: { role: 'viewer' },
      schema: { response: { 200: z.object({ metrics: z.record(z.string(), z.object({ unit: z.string(), description: z.string(), sectors: z.array(z.string()) })) }) } },
    },
    async () => ({ metrics: METRICS }),
  );

  // The alarm levels in force for one device's metric, per rule watching it: every chart of
  // a ruled metric draws them.
  app.get(
    '/api/levels',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: z.object({ site: idParam, device: idParam, metric: metricNameSchema }).strict(),
        response: { 200: z.object({ rules: z.array(z.object({ id: z.string(), title: z.string(), titleZh: z.string().optional(), levels: z.array(ruleLevelSchema) })) }) },
      },
    },
    async (req) => {
      const { site, device, metric } = req.query;
      requireSite(principal(req), site);
      const dev = deps.registry().device(device);
      if (!dev || dev.site !== site) throw new ApiError('GW_NOT_FOUND', `no device ${device} at site ${site}`);
      const rules = [];
      for (const r of deps.rules.list()) {
        if (!r.metrics?.includes(metric) || (r.sectors && !r.sectors.includes(dev.sector))) continue;
        const levels = deps.rules.levels?.(r.id, site, device);
        if (levels?.length) rules.push({ id: r.id, title: r.title, ...(r.titleZh ? { titleZh: r.titleZh } : {}), levels });
      }
      return { rules };
    },
  );
};
