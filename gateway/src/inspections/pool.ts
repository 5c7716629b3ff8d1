import { z } from 'zod';
import { creditGradeSchema, departmentSchema, riskLevelSchema, sectorSchema } from '../domain/index.js';
import { hashOf } from './canonical.js';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

/** What a plan covers; fixed when the plan is created (before anyone knows the seed). */
export const planParamsSchema = z
  .object({
    period: z.object({ from: day, to: day }).strict().refine((p) => p.from <= p.to, { message: 'from must not be after to' }),
    departments: z.array(departmentSchema).min(1).max(20),
    scope: z
      .object({ sectors: z.array(sectorSchema).min(1).optional(), regions: z.array(z.string().min(1).max(100)).min(1).optional() })
      .strict()
      .default({}),
  })
  .strict();
export type PlanParams = z.output<typeof planParamsSchema>;

/** One candidate enterprise as the pool froze it. */
export const poolSiteSchema = z
  .object({
    site: z.string(),
    name: z.string(),
    sector: sectorSchema,
    region: z.string().nullable(),
    creditGrade: creditGradeSchema.nullable(),
    riskLevel: riskLevelSchema,
    keySupervision: z.boolean(),
    departments: z.array(z.string()),
    /** Inspections of this site in the 365 days before the plan starts. */
    inspectionsLastYear: z.number().int().min(0),
    /** Day of the last inspection (YYYY-MM-DD), if any. */
    lastInspectedOn: day.nullable(),
    /** Inspectors who may not go there: declared conflicts, and whoever inspected it last time. */
    excluded: z.array(z.string()),
  })
  .strict();
export type PoolSite = z.infer<typeof poolSiteSchema>;

export const poolInspectorSchema = z.object({ id: z.string(), departments: z.array(z.string()) }).strict();

/** The frozen candidate pool: everything the draw reads besides the seed and the policy. */
export const poolSchema = z
  .object({
    sites: z.array(poolSiteSchema),
    inspectors: z.array(poolInspectorSchema),
    /** The catalogue items each department checks, per sector. */
    items: z.record(z.string(), z.record(z.string(), z.array(z.string()))),
  })
  .strict();
export type Pool = z.infer<typeof poolSchema>;

const byId = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const sortedStrings = (xs: readonly string[]) => [...new Set(xs)].sort();

/** The pool in canonical order: sites and inspectors by id, every list sorted, so its hash is stable. */
export function canonicalPool(pool: Pool): Pool {
  const items: Pool['items'] = {};
  for (const d of Object.keys(pool.items).sort()) {
    items[d] = {};
    for (const s of Object.keys(pool.items[d]!).sort()) items[d]![s] = sortedStrings(pool.items[d]![s]!);
  }
  return {
    sites: pool.sites.map((s) => ({ ...s, departments: sortedStrings(s.departments), excluded: sortedStrings(s.excluded) })).sort(byId((s) => s.site)),
    inspectors: pool.inspectors.map((i) => ({ ...i, departments: sortedStrings(i.departments) })).sort(byId((i) => i.id)),
    items,
  };
}

export function poolHash(pool: Pool): string {
  return hashOf(pool);
}
