import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { complaintSchema, MAX_COMPLAINT_PICTURES, ScanCodeError, windowLimiter } from '../../scancode/index.js';
import { ApiError, type ErrorCode } from '../errors.js';
import { esc } from '../public-html.js';
import { messageHtml, receiptHtml, retiredHtml, SCAN_CSS, sitePageHtml, trackHtml, unknownHtml, type SitePageResult } from '../scan-html.js';
import type { ScanCodeApi } from '../scancode-deps.js';
import type { SupervisionApi } from '../supervision-deps.js';

// The public side of 扫码监管: the page a site's QR opens, complaints, their state by tracking
// code, and the enterprise's confirmation of a visit. No token; every answer is built from an
// explicit list of public fields (never a stored row), and nothing a sender wrote is logged.

const HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const confirmationBody = z
  .object({
    siteCode: z.string().min(1).max(64),
    code: z.string().trim().min(4).max(16),
    rating: z.coerce.number().int().min(1, 'rating is 1 to 5').max(5, 'rating is 1 to 5'),
    comment: z
      .string()
      .trim()
      .max(1000)
      .optional()
      .transform((s) => (s ? s : undefined)),
  })
  .strict();

const STATUS: Record<ScanCodeError['kind'], ErrorCode> = { not_found: 'GW_NOT_FOUND', gone: 'GW_GONE', rate_limited: 'GW_RATE_LIMITED', bad_request: 'GW_BAD_REQUEST', too_large: 'GW_PAYLOAD_TOO_LARGE' };

/** A browser form wants a page back; fetch and API clients get JSON. */
const wantsHtml = (req: FastifyRequest) => /\btext\/html\b/.test(req.headers.accept ?? '') && !/\bapplication\/json\b/.test(req.headers.accept ?? '');
const isMultipart = (req: FastifyRequest) => (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).headers({ ...HEADERS, 'content-type': 'text/html; charset=utf-8' }).send(body);
}

/** A refusal as the client wants it: a page for a form, a GW_ error for the rest. */
function refuse(req: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string, retryAfter?: number) {
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  if (!wantsHtml(req)) throw new ApiError(code, message);
  const err = new ApiError(code, message);
  return html(reply, err.status, messageHtml('未能提交 / not sent', `<p class="error">${esc(message)}</p><p>请返回上一页修改后重试。<span class="en">Go back, correct it and send again.</span></p>`));
}

const zodMessage = (e: z.ZodError) => e.issues.slice(0, 5).map((i) => `body.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** What the public scan-code routes (beside SupervisionApi and ScanCodeApi) read. */
export interface ScanPublicRouteDeps {
  clock: () => number;
}

export const scanPublicRoutes = (deps: ScanPublicRouteDeps, sup: SupervisionApi, scan: ScanCodeApi): FastifyPluginAsyncZod => async (app) => {
  const { maxPictureBytes } = scan;
  const pages = windowLimiter(sup.publicPerMinute ?? 120, 60_000, deps.clock);
  await app.register(multipart, { throwFileSizeLimit: true, limits: { fileSize: maxPictureBytes, files: MAX_COMPLAINT_PICTURES, fields: 8, fieldSize: 8 * 1024, parts: MAX_COMPLAINT_PICTURES + 8, headerPairs: 64 } });

  /** Form fields and pictures of a multipart body, within the limits above. */
  async function readForm(req: FastifyRequest): Promise<{ fields: Record<string, string>; pictures: Buffer[] }> {
    const fields: Record<string, string> = {};
    const pictures: Buffer[] = [];
    try {
      for await (const part of req.parts()) {
        if (part.type === 'field') {
          if (typeof part.value === 'string') fields[part.fieldname] = part.value;
          continue;
        }
        const bytes = await part.toBuffer();
        // An empty file input still sends one part with no bytes.
        if (bytes.length > 0) pictures.push(bytes);
      }
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (code === 'FST_REQ_FILE_TOO_LARGE') throw new ScanCodeError('too_large', `a picture is over ${maxPictureBytes} bytes`);
      if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') throw new ScanCodeError('too_large', `at most ${MAX_COMPLAINT_PICTURES} pictures`);
      throw new ScanCodeError('bad_request', `malformed form: ${(err as Error).message}`);
    }
    return { fields, pictures };
  }

  async function bodyOf(req: FastifyRequest): Promise<{ body: unknown; pictures: Buffer[] }> {
    if (isMultipart(req)) {
      const { fields, pictures } = await readForm(req);
      return { body: fields, pictures };
    }
    return { body: req.body ?? {}, pictures: [] };
  }

  const limitPages = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!pages.take(req.ip)) {
      reply.header('retry-after', String(pages.retryAfter()));
      throw new ApiError('GW_RATE_LIMITED', 'too many requests from this address; try again in a minute');
    }
  };

  app.get('/public/scan.css', async (_req, reply) => reply.headers({ ...HEADERS, 'cache-control': 'public, max-age=3600', 'content-type': 'text/css; charset=utf-8' }).send(SCAN_CSS));

  app.get('/s/:code', { onRequest: limitPages, schema: { params: z.object({ code: z.string().max(64) }) } }, async (req, reply) => {
    const found = scan.scan.codes.lookup(req.params.code);
    if (found.state === 'retired') return html(reply, 410, retiredHtml(new Date(found.retiredAt).toISOString().slice(0, 10)));
    let site;
    try {
      site = found.state === 'active' ? scan.scan.siteOf(found.code) : undefined;
    } catch {
      site = undefined; // a code of a site no longer in the registry
    }
    if (!site || found.state !== 'active') return html(reply, 404, unknownHtml());
    // What the disclosure pages already publish about this site, newest plan first.
    const results: SitePageResult[] = [];
    for (const p of sup.inspections.list()) {
      const r = sup.inspections.exportOf(p.id)?.results.find((x) => x.site === site.id);
      if (r) results.push({ planId: p.id, title: p.title, conclusion: r.conclusion, inspectedOn: r.inspectedOn, ...(r.confirmation ? { confirmation: r.confirmation } : {}) });
    }
    return html(reply, 200, sitePageHtml({ code: found.code, name: site.name, sector: site.sector, departments: site.departments, results, maxPictures: MAX_COMPLAINT_PICTURES }));
  });

  app.post('/public/complaints', async (req, reply) => {
    try {
      const { body, pictures } = await bodyOf(req);
      const parsed = complaintSchema.safeParse(body);
      if (!parsed.success) return refuse(req, reply, 'GW_BAD_REQUEST', zodMessage(parsed.error));
      if (pictures.length > MAX_COMPLAINT_PICTURES) return refuse(req, reply, 'GW_PAYLOAD_TOO_LARGE', `at most ${MAX_COMPLAINT_PICTURES} pictures`);
      const done = await scan.scan.submitComplaint(parsed.data, pictures, req.ip);
      reply.headers(HEADERS);
      if (wantsHtml(req)) return html(reply, 201, receiptHtml(done.trackingCode));
      return reply.code(201).send({ trackingCode: done.trackingCode, state: done.state, trackUrl: `/public/complaints/${done.trackingCode}` });
    } catch (err) {
      if (err instanceof ScanCodeError) return refuse(req, reply, STATUS[err.kind], err.message, err.retryAfter);
      throw err;
    }
  });

  // The site page's look-up form: a GET form can only put the code in the query.
  app.get('/public/complaints', { schema: { querystring: z.object({ tracking: z.string().trim().max(64) }).strict() } }, async (req, reply) =>
    reply.headers(HEADERS).redirect(`/public/complaints/${encodeURIComponent(req.query.tracking.toLowerCase())}`, 303),
  );

  app.get('/public/complaints/:trackingCode', { onRequest: limitPages, schema: { params: z.object({ trackingCode: z.string().max(64) }) } }, async (req, reply) => {
    const t = scan.scan.track(req.params.trackingCode);
    if (!t) return refuse(req, reply, 'GW_NOT_FOUND', 'no complaint has this tracking code');
    if (wantsHtml(req)) return html(reply, 200, trackHtml(t));
    return reply.code(200).headers(HEADERS).send({ state: t.state, stateZh: t.stateZh, receivedOn: t.receivedOn });
  });

  app.post('/public/confirmations', async (req, reply) => {
    try {
      const { body, pictures } = await bodyOf(req);
      if (pictures.length) return refuse(req, reply, 'GW_BAD_REQUEST', 'a confirmation has no pictures');
      const parsed = confirmationBody.safeParse(body);
      if (!parsed.success) return refuse(req, reply, 'GW_BAD_REQUEST', zodMessage(parsed.error));
      const { siteCode, code, rating, comment } = parsed.data;
      const done = scan.scan.confirmVisit(siteCode, code, rating, comment ?? null, req.ip);
      reply.headers(HEADERS);
      if (wantsHtml(req)) return html(reply, 200, messageHtml('已确认检查 / inspection confirmed', `<p>感谢您的评价。确认日期：${esc(done.confirmedOn)}</p><p class="en">Thank you: the visit is confirmed.</p>`));
      return reply.code(200).send({ confirmed: true, confirmedOn: done.confirmedOn });
    } catch (err) {
      if (err instanceof ScanCodeError) return refuse(req, reply, STATUS[err.kind], err.message, err.retryAfter);
      throw err;
    }
  });
};
