import { z } from 'zod';
import { departmentSchema, idSchema } from '../domain/index.js';

// Lowest to highest: each role can do what the roles below it can.
// `inspector` (issue 16) records inspections of the visits it is drawn for; it reads like a viewer.
export const ROLES = ['viewer', 'inspector', 'operator', 'supervisor', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Who is calling: resolved from the bearer token. `sites: null` means every site. */
export interface Principal {
  user: string;
  role: Role;
  sites: readonly string[] | null;
  /** Departments the caller works for; set, the caller sees only those departments' items. Absent or null: every department. */
  departments?: readonly string[] | null;
}

/** `sites: ["*"]`: every site, said explicitly. Stored as such; a Principal's `sites` is then null. */
export const ALL_SITES = '*';
const ALL_SITES_JSON = '["*"]';

export const newUserSchema = z
  .object({
    name: idSchema,
    role: roleSchema,
    /** The sites the user may see, or ["*"] for every site; viewers and operators must say which. */
    sites: z
      .array(z.union([z.literal(ALL_SITES), idSchema]))
      .min(1)
      .max(1000)
      .refine((s) => !s.includes(ALL_SITES) || s.length === 1, { message: `"*" stands for every site and goes alone: ${ALL_SITES_JSON}` })
      .optional(),
    departments: z.array(departmentSchema).min(1).max(20).optional(),
    /** Sites an inspector declares a conflict of interest with (avoidance): never drawn for them. */
    conflicts: z.array(idSchema).max(1000).optional(),
    /** The person's name as people read it (张三). Personal data: public pages show it only under a policy with `publish.inspectorNames: true`. */
    displayName: z.string().trim().min(1).max(64).regex(/^[^\u0000-\u001f<>]*$/, 'must not contain control characters or < >').optional(),
  })
  .strict()
  // "Every site" is never implied (issue 20, finding 13): a scoped role says which sites.
  .refine((u) => (u.role !== 'operator' && u.role !== 'viewer') || (u.sites && u.sites.length > 0) || (u.departments && u.departments.length > 0), {
    message: `a viewer or operator needs sites: the site ids it may see, or ${ALL_SITES_JSON} for every site (or departments)`,
    path: ['sites'],
  })
  .refine((u) => u.role !== 'inspector' || (u.departments && u.departments.length > 0), {
    message: 'an inspector needs at least one department',
    path: ['departments'],
  });
export type NewUser = z.infer<typeof newUserSchema>;

export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  sites: z.array(z.string()).nullable(),
  departments: z.array(z.string()).nullable(),
  conflicts: z.array(z.string()),
  displayName: z.string().nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
  disabled: z.boolean(),
});
export type User = z.infer<typeof userSchema>;
