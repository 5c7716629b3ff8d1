import { z } from 'zod';
import { creditGradeSchema, departmentSchema, deviceKindSchema, idSchema, sectorSchema } from '../domain/index.js';

export const deviceEntrySchema = z
  .object({
    id: idSchema,
    kind: deviceKindSchema.default('sensor'),
    name: z.string().max(200).optional(),
    // Plain secret (development) or a salted hash made by `hashSecret` (production).
    secret: z.string().min(8, 'must be at least 8 characters').max(256).optional(),
    secretHash: z.string().regex(/^scrypt\$/, 'must be a hash made by "npm run registry -- hash"').optional(),
  })
  .strict()
  .refine((d) => (d.secret === undefined) !== (d.secretHash === undefined), {
    message: 'needs exactly one of "secret" or "secretHash"',
  });

export const siteEntrySchema = z
  .object({
    id: idSchema,
    name: z.string().min(1).max(200),
    sector: sectorSchema,
    creditCode: z.string().optional(),
    region: z.string().max(100).optional(),
    // Enterprise profile (issue 16): credit grade (A lowest risk), key supervision (always
    // inspected), the departments responsible (names as in the catalogue). The API can override these.
    creditGrade: creditGradeSchema.optional(),
    keySupervision: z.boolean().optional(),
    departments: z.array(departmentSchema).max(20).optional(),
    devices: z.array(deviceEntrySchema).default([]),
  })
  .strict();

export const registrySchema = z
  .object({
    sites: z.array(siteEntrySchema),
  })
  .strict();

export type RegistryFile = z.infer<typeof registrySchema>;
export type SiteEntry = z.infer<typeof siteEntrySchema>;
export type DeviceEntry = z.infer<typeof deviceEntrySchema>;
