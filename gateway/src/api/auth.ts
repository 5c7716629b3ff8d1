import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Checks `Authorization: Bearer <token>` in constant time (digests have equal length). */
export function createBearerCheck(token: string) {
  const expected = digest(token);
  return async function requireToken(req: FastifyRequest): Promise<void> {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) throw new ApiError('GW_UNAUTHORIZED');
  };
}
