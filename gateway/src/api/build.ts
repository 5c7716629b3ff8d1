import Fastify, { LogController } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { installAuth } from './auth.js';
import { installOpenApi, installOpenApiRoutes, isPublicDocsRoute } from './openapi.js';
import type { ApiDeps } from './deps.js';
import { errorHandler, frameworkErrorHandler } from './errors.js';
import { alarmQualityRoutes } from './routes/alarm-quality.js';
import { auditRoutes } from './routes/audit.js';
import { backtestRoutes } from './routes/backtests.js';
import { consoleRoutes } from './routes/console.js';
import { eventRoutes } from './routes/events.js';
import { evidenceRoutes } from './routes/evidence.js';
import { payloadProfileRoutes } from './routes/payload-profiles.js';
import { exportRoutes } from './routes/export.js';
import { healthRoutes } from './routes/health.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { readingRoutes } from './routes/readings.js';
import { ruleRoutes } from './routes/rules.js';
import { registryRoutes, siteRoutes } from './routes/sites.js';
import { streamRoutes } from './routes/stream.js';
import { userRoutes } from './routes/users.js';
import { vocabularyRoutes } from './routes/vocabulary.js';
import { webhookRoutes } from './routes/webhooks.js';
import { inspectionRoutes } from './routes/inspections.js';
import { profileRoutes } from './routes/profiles.js';
import { publicRoutes } from './routes/public.js';
import { riskRoutes } from './routes/risk.js';
import { scanCodeRoutes } from './routes/scancode.js';
import { scanPublicRoutes } from './routes/scan-public.js';
import { visitRoutes } from './routes/visits.js';

/** The API's version in the OpenAPI document: the package's. */
const API_VERSION = '0.1.0';

/** Builds the HTTP API; never listens (the caller does, and tests use inject or a port-0 listen). */
export async function buildApi(deps: ApiDeps) {
  const app = Fastify({
    // Requests fastify refuses before routing (bad percent-encoding...) get GW_ errors too.
    frameworkErrors: frameworkErrorHandler,
    ...(deps.https ? { https: deps.https } : {}),
    loggerInstance: deps.logger.child({ module: 'api' }),
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Per-request logs would put every client's traffic in the log; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Undo fastify's default of quietly dropping __proto__ keys: refuse the body instead.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: 'GW_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
  installAuth(app, deps.users.authenticate, isPublicDocsRoute);
  await installOpenApi(app, API_VERSION);

  for (const routes of [healthRoutes, siteRoutes, registryRoutes, streamRoutes, exportRoutes, eventRoutes, readingRoutes, auditRoutes, maintenanceRoutes, webhookRoutes, userRoutes, ruleRoutes, alarmQualityRoutes, backtestRoutes, evidenceRoutes, payloadProfileRoutes, vocabularyRoutes, consoleRoutes]) {
    await app.register(routes(deps));
  }
  await installOpenApiRoutes(app);
  const sup = deps.supervision;
  if (sup) for (const routes of [profileRoutes, inspectionRoutes, riskRoutes, publicRoutes]) await app.register(routes(deps, sup));
  const scan = deps.scancode;
  if (sup && scan) for (const routes of [scanCodeRoutes, visitRoutes, scanPublicRoutes]) await app.register(routes(deps, sup, scan));
  return app;
}

export type Api = Awaited<ReturnType<typeof buildApi>>;
