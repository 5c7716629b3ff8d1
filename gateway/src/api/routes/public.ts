import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withInspectorNames, type PlanExport } from '../../inspections/index.js';
import { ApiError } from '../errors.js';
import { planHtml, planListHtml, PUBLIC_CSS, type PlanSummary } from '../public-html.js';
import type { SupervisionApi } from '../supervision-deps.js';

// "一公开": read-only, no token. What is here is what the plan export holds (the policy, the
// pool, the draw, conclusions and dates) and nothing from the device side.

const HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'access-control-allow-origin': '*',
  vary: 'Accept',
};
// Plans change at creation, at the draw and as results come in: a minute of caching is enough.
const CACHE = 'public, max-age=60';
const MAX_TRACKED = 10_000;

/** A fixed one-minute window per address; the table never grows past MAX_TRACKED addresses. */
function createLimiter(perMinute: number, clock: () => number) {
  let window = Math.floor(clock() / 60_000);
  const counts = new Map<string, number>();
  return (address: string): boolean => {
    const now = Math.floor(clock() / 60_000);
    if (now !== window) ((window = now), counts.clear());
    const n = (counts.get(address) ?? 0) + 1;
    if (!counts.has(address) && counts.size >= MAX_TRACKED) return false;
    counts.set(address, n);
    return n <= perMinute;
  };
}

const wantsJson = (req: FastifyRequest) => (req.query as { format?: string }).format === 'json' || /\bapplication\/json\b/.test(req.headers.accept ?? '');

function send(req: FastifyRequest, reply: FastifyReply, type: string, body: string) {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  reply.headers({ ...HEADERS, 'cache-control': CACHE, etag, 'content-type': type });
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.code(200).send(body);
}

const planId = z.string().regex(/^plan-\d{8}-[0-9a-f]{8}$/, 'is not a plan id');

/** What the routes of the public pages (beside SupervisionApi) read. */
export interface PublicRouteDeps {
  clock: () => number;
}

export const publicRoutes = (deps: PublicRouteDeps, sup: SupervisionApi): FastifyPluginAsyncZod => async (app) => {
  const allow = createLimiter(sup.publicPerMinute ?? 120, deps.clock);
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/public/') && req.url !== '/public') return;
    if (!allow(req.ip)) {
      reply.header('retry-after', '60');
      throw new ApiError('GW_RATE_LIMITED', 'too many requests to the public pages from this address; try again in a minute');
    }
  });

  const summaries = (): PlanSummary[] =>
    sup.inspections.list().map((p) => ({
      id: p.id,
      title: p.title,
      period: p.params.period,
      departments: p.params.departments,
      state: p.state,
      seedHash: p.seedHash,
      seed: p.seed,
      createdAt: new Date(p.createdAt).toISOString(),
      drawnAt: p.drawnAt === null ? null : new Date(p.drawnAt).toISOString(),
      visits: p.draw ? p.draw.visits.length : null,
      inspected: new Set(sup.inspections.records(p.id).map((r) => r.site)).size,
    }));

  app.get('/public', async (_req, reply) => reply.redirect('/public/inspections'));
  app.get('/public/style.css', async (req, reply) => send(req, reply, 'text/css; charset=utf-8', PUBLIC_CSS));

  app.get('/public/inspections', { schema: { querystring: z.object({ format: z.enum(['json', 'html']).optional() }).strict() } }, async (req, reply) => {
    const plans = summaries();
    if (wantsJson(req)) return send(req, reply, 'application/json; charset=utf-8', JSON.stringify({ plans }));
    return send(req, reply, 'text/html; charset=utf-8', planListHtml(plans));
  });

  app.get('/public/inspections/plans/:id', { schema: { params: z.object({ id: planId }), querystring: z.object({ format: z.enum(['json', 'html']).optional() }).strict() } }, async (req, reply) => {
    const found: PlanExport | undefined = sup.inspections.exportOf(req.params.id);
    if (!found) throw new ApiError('GW_NOT_FOUND', `no inspection plan ${req.params.id}`);
    const e = withInspectorNames(found, sup.inspectorNames?.() ?? {});
    if (wantsJson(req)) return send(req, reply, 'application/json; charset=utf-8', JSON.stringify(e, null, 1));
    return send(req, reply, 'text/html; charset=utf-8', planHtml(e));
  });
};
