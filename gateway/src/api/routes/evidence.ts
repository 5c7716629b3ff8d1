import { createReadStream } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSee, principal } from '../auth.js';
import type { EvidenceLookup } from '../deps.js';
import { ApiError } from '../errors.js';

const params = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256') }).strict();

/** What the routes of evidence pictures read. */
export interface EvidenceRouteDeps {
  /** Evidence pictures by SHA-256; absent when the gateway keeps none. */
  evidence?: EvidenceLookup;
}

export const evidenceRoutes = (deps: EvidenceRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/evidence/:sha256', { config: { role: 'viewer' }, schema: { params } }, async (req, reply) => {
    const pic = deps.evidence ? await deps.evidence.get(req.params.sha256) : undefined;
    // Outside the caller's sites it does not exist, as far as the caller can tell.
    if (!pic || !pic.sites.some((s) => canSee(principal(req), s))) throw new ApiError('GW_NOT_FOUND', `no picture ${req.params.sha256}`);
    return reply
      .header('content-type', pic.contentType)
      .header('content-length', pic.bytes)
      .header('x-content-type-options', 'nosniff')
      // The bytes never change for a hash; only the caller's browser may keep them.
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('content-security-policy', "default-src 'none'")
      .header('content-disposition', `inline; filename="${pic.sha256.slice(0, 16)}.${pic.contentType.slice(6)}"`)
      .send(createReadStream(pic.path));
  });
};
