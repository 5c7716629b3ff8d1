import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HealthReport, ReadyReport } from '../deps.js';
import type { Metrics } from '../../observability/index.js';

const readySchema = z.object({
  ready: z.boolean(),
  outbox: z.object({ points: z.number(), bytes: z.number(), oldestAgeSeconds: z.number().nullable(), capBytes: z.number() }),
  influx: z.enum(['ok', 'failing', 'off']),
});

/** What the routes of health, readiness and metrics read. */
export interface HealthRouteDeps {
  health: () => Promise<HealthReport>;
  ready: () => ReadyReport;
  metrics: Metrics;
}

export const healthRoutes = (deps: HealthRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: z.object({
            status: z.enum(['ok', 'degraded']),
            uptimeSeconds: z.number(),
            history: z.enum(['on', 'off']),
            influx: z.enum(['ok', 'unreachable', 'off']),
            connectedDevices: z.number(),
          }),
        },
      },
    },
    async () => deps.health(),
  );

  // Readiness: 503 while stopping or while the outbox is at its cap (new QoS 1 publishes wait).
  app.get(
    '/readyz',
    {
      schema: {
        response: {
          '2xx': readySchema,
          503: readySchema,
        },
      },
    },
    async (_req, reply) => {
      const r = deps.ready();
      return reply.code(r.ready ? 200 : 503).send(r);
    },
  );

  // Prometheus scrape endpoint: counters only, no identifiers beyond site/device ids.
  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    return deps.metrics.render();
  });
};
