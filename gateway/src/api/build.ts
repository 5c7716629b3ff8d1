import Fastify, { LogController } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { installAuth } from './auth.js';
import { installOpenApi, installOpenApiRoutes, isPublicDocsRoute } from './openapi.js';
import type { Logger } from '../observability/index.js';
import type { UserStore } from '../users/index.js';
import { errorHandler, frameworkErrorHandler } from './errors.js';
import { alarmQualityRoutes, type AlarmQualityRouteDeps } from './routes/alarm-quality.js';
import { auditRoutes, type AuditRouteDeps } from './routes/audit.js';
import { backtestRoutes, type BacktestRouteDeps } from './routes/backtests.js';
import { consoleRoutes, type ConsoleRouteDeps } from './routes/console.js';
import { eventRoutes, type EventRouteDeps } from './routes/events.js';
import { evidenceRoutes, type EvidenceRouteDeps } from './routes/evidence.js';
import { payloadProfileRoutes, type PayloadProfileRouteDeps } from './routes/payload-profiles.js';
import { exportRoutes, type ExportRouteDeps } from './routes/export.js';
import { healthRoutes, type HealthRouteDeps } from './routes/health.js';
import { maintenanceRoutes, type MaintenanceRouteDeps } from './routes/maintenance.js';
import { readingRoutes, type ReadingRouteDeps } from './routes/readings.js';
import { ruleRoutes, type RuleRouteDeps } from './routes/rules.js';
import { registryRoutes, siteRoutes, type RegistryRouteDeps, type SiteRouteDeps } from './routes/sites.js';
import { streamRoutes, type StreamRouteDeps } from './routes/stream.js';
import { userRoutes, type UserRouteDeps } from './routes/users.js';
import { vocabularyRoutes, type VocabularyRouteDeps } from './routes/vocabulary.js';
import { webhookRoutes, type WebhookRouteDeps } from './routes/webhooks.js';
import { inspectionRoutes, type InspectionRouteDeps } from './routes/inspections.js';
import { profileRoutes, type ProfileRouteDeps } from './routes/profiles.js';
import { publicRoutes, type PublicRouteDeps } from './routes/public.js';
import { riskRoutes, type RiskRouteDeps } from './routes/risk.js';
import { scanCodeRoutes, type ScanCodeRouteDeps } from './routes/scancode.js';
import { scanPublicRoutes, type ScanPublicRouteDeps } from './routes/scan-public.js';
import { visitRoutes, type VisitRouteDeps } from './routes/visits.js';
import type { ScanCodeApi } from './scancode-deps.js';
import type { SupervisionApi } from './supervision-deps.js';

/** What the server itself reads, beside its route groups. */
export interface ServerDeps {
  /** Authenticates every request's bearer token (the user routes read the same store). */
  users: UserStore;
  logger: Logger;
  bodyLimit?: number;
  /** How long a client may take to send a whole request, and its headers (ms); default 60 s / 20 s. */
  timeouts?: { requestMs: number; headersMs: number };
  /** Serve HTTPS with this certificate. */
  https?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean };
  /** Risk, inspections, profiles and the public pages (issue 16); without it those routes are absent. */
  supervision?: SupervisionApi;
  /** Site codes, QR, complaints, check-in and confirmation (issue 17); needs `supervision`. */
  scancode?: ScanCodeApi;
}

/** Everything the API reads: the server's own needs plus each route group's. */
export type ApiDeps = ServerDeps &
  HealthRouteDeps & SiteRouteDeps & RegistryRouteDeps & StreamRouteDeps & ExportRouteDeps & EventRouteDeps &
  ReadingRouteDeps & AuditRouteDeps & MaintenanceRouteDeps & WebhookRouteDeps & UserRouteDeps & RuleRouteDeps &
  AlarmQualityRouteDeps & BacktestRouteDeps & EvidenceRouteDeps & PayloadProfileRouteDeps & VocabularyRouteDeps &
  ConsoleRouteDeps & ProfileRouteDeps & InspectionRouteDeps & RiskRouteDeps & PublicRouteDeps &
  ScanCodeRouteDeps & VisitRouteDeps & ScanPublicRouteDeps;

/** The API's version in the OpenAPI document: the package's. */
const API_VERSION = '0.1.0';

/** Builds the HTTP API; never listens (the caller does, and tests use inject or a port-0 listen). */
export async function buildApi(deps: ApiDeps) {
  const timeouts = deps.timeouts ?? { requestMs: 60_000, headersMs: 20_000 };
  // node checks both timeouts every connectionsCheckingInterval (30 s by default): check more
  // often, so a slow client is cut off close to its timeout.
  const server = { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(timeouts.headersMs / 4))) };
  const app = Fastify({
    // Requests fastify refuses before routing (bad percent-encoding...) get GW_ errors too.
    frameworkErrors: frameworkErrorHandler,
    ...(deps.https ? { https: { ...deps.https, ...server } } : { http: server }),
    requestTimeout: timeouts.requestMs,
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Per-request logs would put every client's traffic in the log; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Undo fastify's default of quietly dropping __proto__ keys: refuse the body instead.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }).withTypeProvider<ZodTypeProvider>();
  // fastify sets requestTimeout only; node's own headersTimeout default (60 s) would otherwise apply.
  app.server.headersTimeout = timeouts.headersMs;
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
