import { z } from 'zod';
import { canonicalJson, hashOf, sha256Hex } from './canonical.js';
import { computeDraw, DrawError, drawSchema, type Draw } from './draw.js';
import { inspectionPolicySchema, policyVersion } from './policy.js';
import { planParamsSchema, poolSchema, type PlanParams } from './pool.js';

export const EXPORT_FORMAT = 'inspection-plan/1';

export const OUTCOMES = ['compliant', 'non_compliant', 'rectification_ordered'] as const;
export const outcomeSchema = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof outcomeSchema>;

/** The published result of one visit: conclusion and date, nothing of the notes or pictures. */
export const publicResultSchema = z.object({
  site: z.string(),
  conclusion: outcomeSchema,
  inspectedOn: z.string(),
  /** The enterprise confirmed the visit (issue 17), as far as the plan's policy publishes it. */
  confirmation: z.object({ confirmedOn: z.string(), rating: z.number().int().min(1).max(5).optional() }).optional(),
});

/**
 * A plan's public export (`GET /public/inspections/plans/:id`, JSON): all that is needed to
 * recompute the draw, and nothing else. `seed` is null until the draw has been made.
 */
export const planExportSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  id: z.string(),
  title: z.string(),
  params: planParamsSchema,
  state: z.enum(['committed', 'drawn']),
  createdAt: z.string(),
  drawnAt: z.string().nullable(),
  seedHash: z.string(),
  seed: z.string().nullable(),
  policyVersion: z.string().nullable(),
  policy: inspectionPolicySchema.nullable(),
  poolHash: z.string().nullable(),
  pool: poolSchema.nullable(),
  drawHash: z.string().nullable(),
  draw: drawSchema.nullable(),
  results: z.array(publicResultSchema),
  /** Drawn inspectors' personal names (id -> name), only when the plan's policy has `publish.inspectorNames: true`. */
  inspectorNames: z.record(z.string(), z.string()).optional(),
});
export type PlanExport = z.infer<typeof planExportSchema>;

/**
 * Personal names are published only when the plan's (frozen, hashed) policy says
 * `publish.inspectorNames: true` (default false): then the drawn inspectors' names go beside
 * the export (`inspectorNames`, id -> name), outside what verify recomputes.
 */
export function withInspectorNames(e: PlanExport, names: Readonly<Record<string, string>>): PlanExport {
  if (!e.policy?.publish.inspectorNames || !e.draw) return e;
  const drawn = new Set(e.draw.visits.flatMap((v) => v.inspectors));
  const published = Object.fromEntries(Object.entries(names).filter(([id]) => drawn.has(id)));
  return Object.keys(published).length ? { ...e, inspectorNames: published } : e;
}

export interface VerifyCheck {
  check: string;
  ok: boolean;
  detail: string;
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `they differ from byte ${i}: published …${b.slice(Math.max(0, i - 30), i + 40)}… recomputed …${a.slice(Math.max(0, i - 30), i + 40)}…`;
}

/**
 * Recomputes everything in an export that can be recomputed: the seed against its published
 * hash, the policy and pool against theirs, and the draw from seed + pool + policy, compared
 * byte for byte in canonical JSON.
 */
export function verifyExport(raw: unknown): { ok: boolean; checks: VerifyCheck[] } {
  const parsed = planExportSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, checks: [{ check: 'format', ok: false, detail: `not a plan export (${EXPORT_FORMAT}): ${why}` }] };
  }
  const e = parsed.data;
  const checks: VerifyCheck[] = [];
  const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
  if (e.seed === null || e.pool === null || e.policy === null || e.draw === null) {
    add('drawn', false, 'the plan has not been drawn yet: the seed is still secret, only its hash is published');
    return { ok: false, checks };
  }
  add('seed', sha256Hex(Buffer.from(e.seed, 'hex')) === e.seedHash && /^[0-9a-f]{64}$/.test(e.seed), `SHA-256(seed) must equal the seed hash published at creation (${e.seedHash})`);
  const version = policyVersion(e.policy);
  add('policy', version === e.policyVersion, `policy version recomputed ${version}, published ${e.policyVersion}`);
  const ph = hashOf(e.pool);
  add('pool', ph === e.poolHash, `pool hash recomputed ${ph}, published ${e.poolHash}`);
  let recomputed: Draw | null = null;
  try {
    recomputed = computeDraw(e.seed, e.pool, e.policy, e.params as PlanParams);
  } catch (err) {
    if (!(err instanceof DrawError)) throw err;
    add('draw', false, `the draw cannot be recomputed: ${err.message}`);
  }
  if (recomputed) {
    const mine = canonicalJson(recomputed);
    // The published bytes, not the parsed copy: a field added to the draw must not pass unseen.
    const theirs = canonicalJson((raw as { draw: unknown }).draw);
    add('draw', mine === theirs, mine === theirs ? `recomputed draw matches byte for byte (${mine.length} bytes, ${recomputed.visits.length} visits)` : firstDifference(mine, theirs));
    const dh = sha256Hex(theirs);
    add('drawHash', dh === e.drawHash, `draw hash recomputed ${dh}, published ${e.drawHash}`);
  }
  return { ok: checks.every((c) => c.ok), checks };
}
