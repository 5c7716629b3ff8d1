import { z } from 'zod';
import { sectorSchema } from '../domain/index.js';

// rules/catalogue.yaml: the supervision items the gateway may supervise. A rule must name
// one of these items: no supervision outside the list (RULES.md).
export const catalogueItemSchema = z
  .object({
    code: z.string().regex(/^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$/, 'must be an upper-case code like HC-01'),
    name: z.string().min(1).max(200),
    sector: sectorSchema,
    /** The legal or standard basis, e.g. "GB/T 50493-2019". */
    basis: z.string().min(1).max(300),
    department: z.string().min(1).max(200),
    // Chinese for the console and public pages; the English above stays beside it.
    name_zh: z.string().min(1).max(200).optional(),
    basis_zh: z.string().min(1).max(300).optional(),
    department_zh: z.string().min(1).max(200).optional(),
  })
  .strict();

export const catalogueSchema = z.object({ items: z.array(catalogueItemSchema) }).strict();

export type CatalogueItem = z.output<typeof catalogueItemSchema>;
export type Catalogue = z.output<typeof catalogueSchema>;
