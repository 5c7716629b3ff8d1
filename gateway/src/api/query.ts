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
