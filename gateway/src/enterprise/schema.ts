import { z } from 'zod';
import { creditGradeSchema, departmentSchema } from '../domain/index.js';

/** A site's enterprise profile as the gateway uses it: the registry's values, overridden through the API. */
export const siteProfileSchema = z.object({
  site: z.string(),
  creditGrade: creditGradeSchema.nullable(),
  keySupervision: z.boolean(),
  departments: z.array(z.string()),
  /** Where the values come from: the registry file, or a change made through the API. */
  source: z.enum(['registry', 'api']),
  updatedAt: z.number().nullable(),
  updatedBy: z.string().nullable(),
});
export type SiteProfile = z.infer<typeof siteProfileSchema>;

export const profileChangeSchema = z
  .object({
    creditGrade: creditGradeSchema.optional(),
    keySupervision: z.boolean().optional(),
    departments: z.array(departmentSchema).max(20).optional(),
    /** Why: kept in the audit trail with the values before and after. */
    note: z.string().trim().min(1, 'a note is required').max(4000),
  })
  .strict()
  .refine((c) => c.creditGrade !== undefined || c.keySupervision !== undefined || c.departments !== undefined, { message: 'change at least one of creditGrade, keySupervision, departments' });
export type ProfileChange = z.infer<typeof profileChangeSchema>;
