import { z } from 'zod';
import { idSchema } from '../domain/index.js';

// Lowest to highest: each role can do what the roles below it can.
export const ROLES = ['viewer', 'operator', 'supervisor', 'admin'] as const;
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
}

export const newUserSchema = z
  .object({
    name: idSchema,
    role: roleSchema,
    sites: z.array(idSchema).min(1).max(1000).optional(),
  })
  .strict()
  .refine((u) => u.role !== 'operator' || (u.sites && u.sites.length > 0), {
    message: 'an operator needs at least one site',
    path: ['sites'],
  });
export type NewUser = z.infer<typeof newUserSchema>;

export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  sites: z.array(z.string()).nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
  disabled: z.boolean(),
});
export type User = z.infer<typeof userSchema>;
