import { z } from 'zod';
import { creditGradeSchema, departmentSchema, deviceKindSchema, idSchema, sectorSchema } from '../domain/index.js';

const scryptHash = z.string().regex(/^scrypt\$/, 'must be a hash made by "npm run registry -- hash"');

// A PW travels in every frame; it may not hold the frame's separators.
const hj212Password = z.string().regex(/^[!-~]{6,64}$/, 'must be 6-64 printable ASCII characters').refine((p) => !/[;,=&]/.test(p), 'may not contain ; , = or &');

// HJ 212 loggers (protocol: hj212) log in with the MN and PW of their first frame over TCP.
export const hj212EntrySchema = z
  .object({
    mn: z.string().regex(/^[A-Za-z0-9._-]{1,48}$/, 'must be 1-48 letters, digits, ".", "_" or "-" (the logger\'s MN)'),
    password: hj212Password.optional(),
    passwordHash: scryptHash.optional(),
    crc: z.enum(['hj212', 'modbus', 'either']).default('hj212'),
    // Plain PW put in downlink frames, for loggers that refuse commands without one (the login
    // PW is kept only as a hash). Never logged, never returned by the API.
    downlinkPassword: hj212Password.optional(),
    // DataTime is local time without a zone: read in this zone (default GATEWAY_TIMEZONE).
    timezone: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((h) => (h.password === undefined) !== (h.passwordHash === undefined), { message: 'needs exactly one of "password" or "passwordHash"' });

export const deviceEntrySchema = z
  .object({
    id: idSchema,
    kind: deviceKindSchema.default('sensor'),
    name: z.string().max(200).optional(),
    // Absent means mqtt.
    protocol: z.enum(['mqtt', 'hj212']).optional(),
    // Plain secret (development) or a salted hash made by `hashSecret` (production).
    secret: z.string().min(8, 'must be at least 8 characters').max(256).optional(),
    secretHash: scryptHash.optional(),
    hj212: hj212EntrySchema.optional(),
    /** A payload profile (GATEWAY_PROFILES_DIR) for a device that speaks a vendor format. */
    profile: idSchema.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.protocol === 'hj212') {
      if (!d.hj212) ctx.addIssue({ code: 'custom', path: ['hj212'], message: 'a protocol: hj212 device needs hj212: { mn, password | passwordHash }' });
      if (d.secret !== undefined || d.secretHash !== undefined) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a protocol: hj212 device has no MQTT secret (it logs in with its MN and PW)' });
      return;
    }
    if (d.hj212) ctx.addIssue({ code: 'custom', path: ['hj212'], message: 'hj212: is only for protocol: hj212 devices' });
    if ((d.secret === undefined) === (d.secretHash === undefined)) ctx.addIssue({ code: 'custom', message: 'needs exactly one of "secret" or "secretHash"' });
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
export type Hj212Entry = z.infer<typeof hj212EntrySchema>;
