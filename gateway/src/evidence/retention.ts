import { z } from 'zod';
import { SECTORS, type Sector } from '../domain/index.js';

const DAY = 86_400_000;

/**
 * The least retention the domain requires (DOMAIN.md sections 2, 3 and 7): kitchen video
 * >= 7 days (SAMR 2018 guidance for 明厨亮灶), hazardous-chemical electronic records >= 30 days.
 * Sectors the brief names no figure for get 30 days, the stricter of the two.
 */
export const MIN_RETENTION_DAYS: Partial<Record<Sector, number>> = { food_service: 7, hazardous_chemicals: 30 };
export const DEFAULT_RETENTION_DAYS = 30;

export type Retention = Record<Sector, number>;

const entry = z
  .string()
  .trim()
  .regex(/^[a-z_]+=\d+d$/, 'each entry is sector=<days>d, e.g. food_service=7d')
  .transform((s) => {
    const [sector, days] = s.split('=') as [string, string];
    return { sector, days: Number(days.slice(0, -1)) };
  });

/**
 * `GATEWAY_EVIDENCE_RETENTION`: comma-separated `sector=<days>d`, each overriding the default
 * for its sector. A value below the domain minimum is refused, not quietly raised.
 */
export const retentionSchema = z
  .string()
  .optional()
  .transform((s, ctx): Retention => {
    const r = Object.fromEntries(SECTORS.map((sec) => [sec, (MIN_RETENTION_DAYS[sec] ?? DEFAULT_RETENTION_DAYS) * DAY])) as Retention;
    if (!s) return r;
    for (const part of s.split(',')) {
      const p = entry.safeParse(part);
      if (!p.success) {
        ctx.addIssue({ code: 'custom', message: `"${part}": ${p.error.issues[0]!.message}` });
        continue;
      }
      const { sector, days } = p.data;
      if (!(SECTORS as readonly string[]).includes(sector)) {
        ctx.addIssue({ code: 'custom', message: `"${part}": unknown sector; one of ${SECTORS.join(', ')}` });
        continue;
      }
      const min = MIN_RETENTION_DAYS[sector as Sector] ?? 1;
      if (days < min) {
        ctx.addIssue({ code: 'custom', message: `"${part}": ${sector} evidence must be kept at least ${min} days` });
        continue;
      }
      r[sector as Sector] = days * DAY;
    }
    return r;
  });
