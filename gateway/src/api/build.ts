import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createBearerCheck } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, errorHandler } from './errors.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { readingRoutes } from './routes/readings.js';
import { siteRoutes } from './routes/sites.js';

/** Builds the HTTP API; never listens (the caller does, and tests use inject or a port-0 listen). */
export async function buildApi(deps: ApiDeps) {
  const app = Fastify({
    loggerInstance: deps.logger.child({ module: 'api' }),
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    // Routes are matched on the exact path; query strings are parsed by zod below.
    routerOptions: { ignoreTrailingSlash: true },
    disableRequestLogging: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'GW_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  const requireToken = createBearerCheck(deps.token);
  app.addHook('onRequest', async (req) => {
    if (req.url === '/api' || req.url.startsWith('/api/') || req.url.startsWith('/api?')) await requireToken(req);
  });

  await app.register(healthRoutes(deps));
  await app.register(siteRoutes(deps));
  await app.register(eventRoutes(deps));
  await app.register(readingRoutes(deps));
  return app;
}

export { ApiError };
export type Api = Awaited<ReturnType<typeof buildApi>>;
