import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idSchema } from '../../domain/index.js';
import { InspectionError, locationSchema, visitStepsSchema } from '../../inspections/index.js';
import { PICTURE_TYPES } from '../../evidence/index.js';
import { spokenCode } from '../../scancode/index.js';
import { principal } from '../auth.js';
import type { Registry } from '../../registry/index.js';
import { ApiError } from '../errors.js';
import type { ScanCodeApi } from '../scancode-deps.js';
import type { SupervisionApi } from '../supervision-deps.js';

// The inspector's phone on a visit (issue 17): check in by scanning the site's code, take
// pictures, record the items (the existing records route), finish and show the one-time code.

const planId = z.string().regex(/^plan-\d{8}-[0-9a-f]{8}$/, 'is not a plan id');
const visitParams = z.object({ id: planId, site: idSchema });

function guard<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof InspectionError) {
      const code = ({ not_found: 'GW_NOT_FOUND', conflict: 'GW_CONFLICT', bad_request: 'GW_BAD_REQUEST', forbidden: 'GW_FORBIDDEN' } as const)[err.kind];
      throw new ApiError(code, err.message);
    }
    throw err;
  }
}

const myVisitSchema = z.object({
  planId: z.string(),
  title: z.string(),
  site: z.string(),
  siteName: z.string(),
  items: z.array(z.string()),
  inspectors: z.array(z.string()),
  checkedInAt: z.number().nullable(),
  recordedItems: z.array(z.string()),
  confirmedAt: z.number().nullable(),
});

/** What the visit routes (beside SupervisionApi and ScanCodeApi) read. */
export interface VisitRouteDeps {
  registry: () => Registry;
}

export const visitRoutes = (deps: VisitRouteDeps, sup: SupervisionApi, scan: ScanCodeApi): FastifyPluginAsyncZod => async (app) => {
  const steps = sup.inspections.steps;
  // A picture is posted as its own bytes (what a phone's file input gives): image/jpeg, png or webp.
  app.addContentTypeParser([...PICTURE_TYPES], { parseAs: 'buffer', bodyLimit: scan.maxPictureBytes }, (_req, body, done) => done(null, body));
  const inspectorOnly = (role: string) => {
    if (role !== 'inspector') throw new ApiError('GW_FORBIDDEN', 'only an inspector drawn for the visit does this');
  };

  app.get('/api/inspections/visits/mine', { config: { role: 'inspector' }, schema: { response: { 200: z.object({ visits: z.array(myVisitSchema) }) } } }, async (req) => {
    const me = principal(req).user;
    const visits: z.infer<typeof myVisitSchema>[] = [];
    for (const plan of sup.inspections.list()) {
      const mine = plan.draw?.visits.filter((v) => v.inspectors.includes(me)) ?? [];
      if (!mine.length) continue;
      const s = steps.ofPlan(plan.id);
      const records = sup.inspections.records(plan.id);
      for (const v of mine) {
        visits.push({
          planId: plan.id,
          title: plan.title,
          site: v.site,
          siteName: deps.registry().site(v.site)?.name ?? v.site,
          items: v.items,
          inspectors: v.inspectors,
          checkedInAt: s.get(v.site)?.checkIns.find((c) => c.inspector === me)?.at ?? null,
          recordedItems: records.filter((r) => r.site === v.site).map((r) => r.item),
          confirmedAt: s.get(v.site)?.confirmation?.confirmedAt ?? null,
        });
      }
    }
    return { visits };
  });

  app.get('/api/inspections/plans/:id/steps', { config: { role: 'viewer' }, schema: { params: z.object({ id: planId }), response: { 200: z.object({ visits: z.array(visitStepsSchema) }) } } }, async (req) => {
    if (!sup.inspections.get(req.params.id)) throw new ApiError('GW_NOT_FOUND', `no inspection plan ${req.params.id}`);
    return { visits: [...steps.ofPlan(req.params.id).values()] };
  });

  // The site code proves the phone is at the site: it is on the poster there (and rotates).
  app.post(
    '/api/inspections/plans/:id/visits/:site/check-in',
    {
      config: { role: 'inspector' },
      schema: {
        params: visitParams,
        body: z.object({ siteCode: z.string().min(1).max(64), location: locationSchema.optional() }).strict(),
        response: { 201: z.object({ inspector: z.string(), at: z.number(), location: locationSchema.nullable() }) },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      inspectorOnly(p.role);
      const found = scan.scan.codes.lookup(req.body.siteCode);
      if (found.state === 'retired') throw new ApiError('GW_GONE', 'this site code was retired; scan the code posted on site now');
      if (found.state !== 'active' || found.site !== req.params.site) throw new ApiError('GW_BAD_REQUEST', `body.siteCode: not the code of site ${req.params.site}`);
      return reply.code(201).send(guard(() => steps.checkIn(req.params.id, req.params.site, p.user, req.body.location ?? null)));
    },
  );

  app.post(
    '/api/inspections/plans/:id/visits/:site/pictures',
    {
      config: { role: 'inspector' },
      schema: { params: visitParams, consumes: [...PICTURE_TYPES], body: z.any().describe('The picture bytes (JPEG, PNG or WebP; checked by their first bytes)'), response: { 201: z.object({ sha256: z.string(), bytes: z.number() }) } },
    },
    async (req, reply) => {
      const p = principal(req);
      inspectorOnly(p.role);
      const visit = sup.inspections.get(req.params.id)?.draw?.visits.find((v) => v.site === req.params.site);
      if (!visit) throw new ApiError('GW_NOT_FOUND', `site ${req.params.site} is not a visit of plan ${req.params.id}`);
      if (!visit.inspectors.includes(p.user)) throw new ApiError('GW_FORBIDDEN', `${p.user} was not drawn for the visit to ${req.params.site}`);
      if (!Buffer.isBuffer(req.body)) throw new ApiError('GW_UNSUPPORTED_MEDIA_TYPE', `send the picture's bytes as ${PICTURE_TYPES.join(', ')}`);
      const site = deps.registry().site(req.params.site);
      if (!scan.pictures || !site) throw new ApiError('GW_NOT_FOUND', 'this gateway keeps no pictures');
      const put = await scan.pictures.put(req.body, { site: site.id, sector: site.sector });
      if (!put.ok) throw new ApiError(put.reason === 'picture_too_large' ? 'GW_PAYLOAD_TOO_LARGE' : put.reason === 'evidence_disk_full' ? 'GW_CONFLICT' : 'GW_BAD_REQUEST', put.detail);
      return reply.code(201).send({ sha256: put.sha256, bytes: put.bytes });
    },
  );

  // At the end of the visit: a one-time code for the enterprise (shown once, stored hashed).
  app.post(
    '/api/inspections/plans/:id/visits/:site/finish',
    { config: { role: 'inspector' }, schema: { params: visitParams, body: z.object({ note: z.string().trim().max(4000).optional() }).strict(), response: { 200: z.object({ code: z.string(), expiresAt: z.number() }) } } },
    async (req) => {
      const p = principal(req);
      inspectorOnly(p.role);
      const code = spokenCode();
      return { code, ...guard(() => steps.finish(req.params.id, req.params.site, p.user, code, req.body.note ?? null)) };
    },
  );
};
