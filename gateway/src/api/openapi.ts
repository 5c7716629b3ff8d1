import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBodySchema } from './errors.js';

// The API as a published contract: an OpenAPI 3.1 document generated from the routes' zod
// schemas (the same ones that validate requests and serialise answers, so the document
// cannot say one thing while the code does another), and a browsable page of it. Both are
// public: they describe the API and hold no data. The page's files come from the installed
// @fastify/swagger-ui package; nothing is fetched from a CDN.

const { $schema: _s, ...ERROR_JSON } = z.toJSONSchema(errorBodySchema, { target: 'draft-2020-12' }) as Record<string, unknown>;

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PREFIX = '/api/docs';

/** Routes anyone may read without a token. */
export const isPublicDocsRoute = (url: string) => url === OPENAPI_PATH || url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`);

// The API and the probes are the contract; the console's static files are not.
const documented = (url: string) => url.startsWith('/api/') || ['/healthz', '/readyz', '/metrics'].includes(url);

// Answers that are not JSON: their zod schema cannot say so, the document does.
const text = (description: string, ...types: string[]) => ({ 200: { description, content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'string' } }])) } });
const TEXT_RESPONSES: Record<string, object> = {
  '/api/events/stream': text('Server-Sent Events: one `transition` event per change, with `id` for Last-Event-ID', 'text/event-stream'),
  '/api/events/export': text('The events as CSV (format=csv) or NDJSON (format=ndjson)', 'text/csv', 'application/x-ndjson'),
  '/metrics': text('Prometheus text exposition format', 'text/plain'),
  '/api/sites/:id/qr.svg': text('The QR code of the site page URL as SVG', 'image/svg+xml'),
  '/api/sites/:id/qr.png': { 200: { description: 'The QR code of the site page URL as PNG', content: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } } } },
  '/api/evidence/:sha256': { 200: { description: 'The picture as stored', content: { 'image/jpeg': { schema: { type: 'string', contentMediaType: 'image/jpeg' } }, 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } } } },
};

/** Call before the routes are registered (the document collects them as they are added). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any typed fastify instance, as installAuth
export async function installOpenApi(app: FastifyInstance<any, any, any, any, any>, version: string) {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Remote-supervision gateway API',
        description:
          'Supervision events, sites, readings, audit, maintenance, webhooks and users. Every route under /api needs `Authorization: Bearer <token>` except this document and its page. Errors answer `{ error: { code, message } }` with a stable GW_ code.',
        version,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: (input) => {
      if (!documented(input.url) || isPublicDocsRoute(input.url)) return { schema: { ...input.schema, hide: true }, url: input.url };
      const out = jsonSchemaTransform(input);
      // Every route may answer an error in the one shape errors.ts gives them all.
      const schema = out.schema ?? {};
      const response = { ...(schema.response as Record<string, unknown> | undefined), ...TEXT_RESPONSES[input.url], default: { description: 'An error: a stable GW_ code and a message', ...ERROR_JSON } };
      return { ...out, schema: { ...schema, response } };
    },
    transformObject: jsonSchemaTransformObject,
  });
}

/** Call after the routes: the document route and the offline docs page. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
export async function installOpenApiRoutes(app: FastifyInstance<any, any, any, any, any>) {
  app.get(OPENAPI_PATH, { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    reply.header('cache-control', 'no-cache');
    return app.swagger();
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: true,
    uiConfig: { url: OPENAPI_PATH, deepLinking: true, persistAuthorization: false },
  });
}
