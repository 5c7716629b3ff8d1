import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema } from '../../domain/index.js';
import { COMPLAINT_CATEGORIES, qrPng, qrSvg } from '../../scancode/index.js';
import { canSee, canSeeDepartment, principal } from '../auth.js';
import type { EventStore } from '../../events/index.js';
import type { Registry } from '../../registry/index.js';
import type { RulesView } from '../deps.js';
import { ApiError } from '../errors.js';
import type { ScanCodeApi } from '../scancode-deps.js';
import type { SupervisionApi } from '../supervision-deps.js';

// Site codes and their QR (issue 17): viewers print them, supervisors rotate them, staff who
// may see a complaint's event read what the sender left (the contact included).

const siteParams = z.object({ id: idSchema });
const codeSchema = z.object({
  site: z.string(),
  code: z.string(),
  url: z.string(),
  issuedAt: z.number(),
  /** False: GATEWAY_PUBLIC_URL is not set and the URL is the address this request came to. */
  publicUrlConfigured: z.boolean(),
});

/** What the site-code routes (beside ScanCodeApi) read. */
export interface ScanCodeRouteDeps {
  registry: () => Registry;
  events: EventStore;
  rules: RulesView;
}

export const scanCodeRoutes = (deps: ScanCodeRouteDeps, _sup: SupervisionApi, scan: ScanCodeApi): FastifyPluginAsyncZod => async (app) => {
  const base = (req: FastifyRequest) => scan.publicUrl ?? `${req.protocol}://${req.host}`;
  /** The site's active code, for a caller who may see the site (others get a 404, as for unknown sites). */
  const codeFor = (req: FastifyRequest, site: string) => {
    if (!deps.registry().site(site) || !canSee(principal(req), site)) throw new ApiError('GW_NOT_FOUND', `no site ${site}`);
    const c = scan.scan.codes.current(site);
    return { site, code: c.code, url: `${base(req)}/s/${c.code}`, issuedAt: c.issuedAt, publicUrlConfigured: scan.publicUrl !== undefined };
  };

  app.get('/api/sites/:id/code', { config: { role: 'viewer' }, schema: { params: siteParams, response: { 200: codeSchema } } }, async (req) => codeFor(req, req.params.id));

  app.get('/api/sites/:id/qr.svg', { config: { role: 'viewer' }, schema: { params: siteParams } }, async (req, reply) => {
    const svg = await qrSvg(codeFor(req, req.params.id).url);
    return reply.header('content-type', 'image/svg+xml').header('cache-control', 'no-store').header('content-security-policy', "default-src 'none'").send(svg);
  });

  app.get('/api/sites/:id/qr.png', { config: { role: 'viewer' }, schema: { params: siteParams, querystring: z.object({ size: z.coerce.number().int().min(128).max(2048).optional() }).strict() } }, async (req, reply) => {
    const png = await qrPng(codeFor(req, req.params.id).url, req.query.size);
    return reply.header('content-type', 'image/png').header('cache-control', 'no-store').send(png);
  });

  app.post(
    '/api/sites/:id/code/rotate',
    { config: { role: 'supervisor' }, schema: { params: siteParams, body: z.object({ note: z.string().trim().min(1, 'a note is required (why the code changes)').max(4000) }).strict(), response: { 200: codeSchema.extend({ retired: z.boolean() }) } } },
    async (req) => {
      if (!deps.registry().site(req.params.id) || !canSee(principal(req), req.params.id)) throw new ApiError('GW_NOT_FOUND', `no site ${req.params.id}`);
      const r = scan.scan.codes.rotate(req.params.id, principal(req).user, req.body.note);
      return { ...codeFor(req, req.params.id), retired: r.retired !== null };
    },
  );

  // The console resolves a scanned code to its site (an inspector's phone on site).
  app.get(
    '/api/site-codes/:code',
    { config: { role: 'viewer' }, schema: { params: z.object({ code: z.string().max(64) }), response: { 200: z.object({ site: z.string(), name: z.string(), state: z.enum(['active', 'retired']), retiredAt: z.number().nullable() }) } } },
    async (req) => {
      const found = scan.scan.codes.lookup(req.params.code);
      const site = found.state === 'unknown' ? undefined : deps.registry().site(found.site);
      if (found.state === 'unknown' || !site || !canSee(principal(req), site.id)) throw new ApiError('GW_NOT_FOUND', 'no site has this code');
      return { site: site.id, name: site.name, state: found.state, retiredAt: found.state === 'retired' ? found.retiredAt : null };
    },
  );

  // What a complaint's sender left, contact included: for staff who may act on the event.
  app.get(
    '/api/events/:id/complaint',
    {
      config: { role: 'operator' },
      schema: {
        params: z.object({ id: z.string().max(100) }),
        response: { 200: z.object({ id: z.string(), site: z.string(), category: z.enum(COMPLAINT_CATEGORIES), description: z.string(), contact: z.string().nullable(), pictures: z.array(z.string()), receivedAt: z.number() }) },
      },
    },
    async (req) => {
      const p = principal(req);
      const e = deps.events.get(req.params.id);
      const c = e ? scan.scan.complaints.byEvent(e.id) : undefined;
      if (!e || !c || !canSee(p, e.site) || !canSeeDepartment(p, deps.events.departmentOf(e.id), deps.rules.item(e.item)?.department)) throw new ApiError('GW_NOT_FOUND', `no complaint behind event ${req.params.id}`);
      return { id: c.id, site: c.site, category: c.category, description: c.description, contact: c.contact, pictures: c.pictures, receivedAt: c.receivedAt };
    },
  );
};
