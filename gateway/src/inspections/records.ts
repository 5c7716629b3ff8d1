import { z } from 'zod';
import { outcomeSchema } from './export.js';

/** One item's result as an inspector records it. */
export const itemResultSchema = z
  .object({
    item: z.string().min(1).max(64),
    outcome: outcomeSchema,
    /** Required when a rectification is ordered: when it must be done (ms or ISO time). */
    deadline: z.union([z.number().int().positive(), z.string().datetime({ offset: true }).transform((s) => Date.parse(s))]).optional(),
    note: z.string().trim().max(4000).optional(),
  })
  .strict()
  .refine((r) => r.outcome !== 'rectification_ordered' || r.deadline !== undefined, { message: 'a rectification order needs a deadline', path: ['deadline'] });

export const visitRecordSchema = z
  .object({
    /** Optional after an on-site check-in (issue 17): the visit then started at the first check-in. */
    startedAt: z.number().int().positive().optional(),
    endedAt: z.number().int().positive(),
    items: z.array(itemResultSchema).min(1).max(200),
    /** SHA-256 of pictures in the evidence store (GET /api/evidence/:sha256), of the visited site. */
    pictures: z.array(z.string().min(1).max(500)).max(50).optional(),
    note: z.string().trim().max(4000).optional(),
  })
  .strict()
  .refine((r) => r.startedAt === undefined || r.startedAt <= r.endedAt, { message: 'startedAt must not be after endedAt', path: ['endedAt'] });
export type VisitRecord = z.output<typeof visitRecordSchema>;

export const inspectionRecordSchema = z.object({
  id: z.string(),
  planId: z.string(),
  site: z.string(),
  item: z.string(),
  outcome: outcomeSchema,
  deadline: z.number().nullable(),
  note: z.string().nullable(),
  pictures: z.array(z.string()),
  startedAt: z.number(),
  endedAt: z.number(),
  recordedAt: z.number(),
  recordedBy: z.string(),
  rectifiedAt: z.number().nullable(),
  overdue: z.boolean(),
});
export type InspectionRecord = z.infer<typeof inspectionRecordSchema>;

/** The conclusion of a visit from its items: the worst outcome wins. */
export function conclusionOf(outcomes: readonly z.infer<typeof outcomeSchema>[]): z.infer<typeof outcomeSchema> {
  if (outcomes.includes('non_compliant')) return 'non_compliant';
  if (outcomes.includes('rectification_ordered')) return 'rectification_ordered';
  return 'compliant';
}
