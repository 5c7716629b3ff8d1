import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { metricNameSchema } from '../../domain/index.js';
import { principal, requireSite } from '../auth.js';
import type { ReadingsSource } from '../deps.js';
import type { Registry } from '../../registry/index.js';
import { ApiError } from '../errors.js';
import { idParam, limitParam, timeParam } from '../query.js';

const HOUR = 3_600_000;

const readingsQuery = z
  .object({
    site: idParam,
    device: idParam.optional(),
    metric: metricNameSchema,
    since: timeParam.optional(),
    until: timeParam.optional(),
    limit: limitParam(10_000, 1000),
  })
  .strict();

/** What the routes of stored readings read. */
export interface ReadingRouteDeps {
  /** Stored readings; null when history is off. */
  readings: ReadingsSource | null;
  registry: () => Registry;
}

export const readingRoutes = (deps: ReadingRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/readings',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: readingsQuery,
        response: {
          200: z.object({
            site: z.string(),
            metric: z.string(),
            since: z.number(),
            until: z.number(),
            series: z.array(z.object({ device: z.string(), points: z.array(z.object({ time: z.number(), value: z.number().nullable() })) })),
          }),
        },
      },
    },
    async (req) => {
      requireSite(principal(req), req.query.site);
      if (!deps.readings) throw new ApiError('GW_HISTORY_OFF');
      // Devices may run ahead of the gateway clock by the allowed skew; include them by default.
      const until = req.query.until ?? Date.now() + 5 * 60_000;
      const since = req.query.since ?? until - HOUR;
      if (since > until) throw new ApiError('GW_BAD_REQUEST', 'querystring.since: must not be after until');
      if (!deps.registry().site(req.query.site)) throw new ApiError('GW_NOT_FOUND', `no site ${req.query.site}`);
      let series;
      try {
        series = await deps.readings.readings({ ...req.query, since, until });
      } catch (err) {
        // The reason stays in the log: its text can name the upstream address and port.
        req.log.warn({ err }, 'readings query failed');
        throw new ApiError('GW_UPSTREAM');
      }
      return { site: req.query.site, metric: req.query.metric, since, until, series };
    },
  );
};
