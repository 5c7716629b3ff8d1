import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';

export const healthRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
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

  // Prometheus scrape endpoint: counters only, no identifiers beyond site/device ids.
  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    return deps.metrics.render();
  });
};
