import { ApiError } from './errors.js';
import { z } from 'zod';
import { idSchema } from '../domain/index.js';

/** A time in a query string: epoch milliseconds or ISO 8601. */
export const timeParam = z
  .string()
  .transform((s, ctx) => {
    const t = /^\d{1,16}$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(t)) {
      ctx.addIssue({ code: 'custom', message: `"${s.slice(0, 40)}" is neither epoch milliseconds nor an ISO 8601 time` });
      return z.NEVER;
    }
    return t;
  });

export const limitParam = (max: number, dflt: number) =>
  z.coerce.number().int('must be a whole number').min(1).max(max).default(dflt);

export const idParam = idSchema;

/**
 * Applies GATEWAY_API_MAX_PAGE on top of a route's own maximum: an explicit larger `limit`
 * is refused, a default larger than the cap is lowered to it.
 */
export function pageLimit(req: { url: string }, limit: number, max: number | undefined): number {
  if (max === undefined || limit <= max) return limit;
  if (new URL(req.url, 'http://local').searchParams.has('limit')) {
    throw new ApiError('GW_BAD_REQUEST', `querystring.limit: must be at most ${max} (GATEWAY_API_MAX_PAGE)`);
  }
  return max;
}
