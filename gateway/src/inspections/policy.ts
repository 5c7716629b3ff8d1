import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { CREDIT_GRADES, creditGradeSchema, departmentSchema, RISK_LEVELS, sectorSchema, type CreditGrade, type RiskLevel } from '../domain/index.js';
import { hashOf } from './canonical.js';

/**
 * How often one stratum (credit grade x risk level) is sampled: a share of the stratum per plan
 * (`ratio`), or a yearly cap of inspections per enterprise (`perYear`, the form of the Shanxi
 * caps in DOMAIN.md section 5). A cap is turned into a per-plan share of
 * min(1, perYear x plan days / 365), and a site that already had `perYear` inspections in the
 * 365 days before the plan is not a candidate.
 */
export const stratumRateSchema = z.union([
  z.number().min(0).max(1),
  z.object({ ratio: z.number().min(0).max(1) }).strict(),
  z.object({ perYear: z.number().int().min(0).max(366) }).strict(),
]);
export type StratumRate = z.infer<typeof stratumRateSchema>;

const levelRatesSchema = z.object({ blue: stratumRateSchema, yellow: stratumRateSchema, orange: stratumRateSchema, red: stratumRateSchema }).strict();

export const departmentPolicySchema = z
  .object({
    department: departmentSchema,
    sectors: z.array(sectorSchema).min(1),
    /** Days that must pass between two inspections of one site (key-supervision sites excepted). */
    minIntervalDays: z.number().int().min(0).max(3650).default(30),
    /** Inspectors this department sends to each visit; "双随机" needs two at least. */
    inspectorsPerVisit: z.number().int().min(2).max(10).default(2),
    strata: z.object({ A: levelRatesSchema, B: levelRatesSchema, C: levelRatesSchema, D: levelRatesSchema }).strict(),
  })
  .strict();

export const inspectionPolicySchema = z
  .object({
    /** The grade a site without one is sampled as (unrated sites are not the safest). */
    unratedAs: creditGradeSchema.default('C'),
    /** What the public pages show of the inspectors: ids by default, names never unless set. */
    publish: z
      .object({
        inspectorIds: z.boolean().default(true),
        inspectorNames: z.boolean().default(false),
        /** The enterprise's confirmation of a visit (issue 17): `rating` (default), `confirmed` (the fact only) or `none`; comments never. No default, so older plans' policy hashes stay as they were. */
        confirmations: z.enum(['none', 'confirmed', 'rating']).optional(),
      })
      .strict()
      .default({ inspectorIds: true, inspectorNames: false }),
    departments: z.array(departmentPolicySchema).min(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.departments.forEach((d, i) => {
      if (seen.has(d.department)) ctx.addIssue({ code: 'custom', path: ['departments', i, 'department'], message: `"${d.department}" has two policies` });
      seen.add(d.department);
    });
  });

export type InspectionPolicy = z.output<typeof inspectionPolicySchema>;
export type DepartmentPolicy = z.output<typeof departmentPolicySchema>;

export const POLICY_FILE = 'inspection-policy.yaml';

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PolicyError';
  }
}

/** Parses a policy from YAML text; every problem is collected, with its path. */
export function parsePolicy(text: string, file = POLICY_FILE): InspectionPolicy {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) throw new PolicyError(file, doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`));
  const parsed = inspectionPolicySchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) throw new PolicyError(file, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  return parsed.data;
}

export function loadPolicy(path: string): InspectionPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(path, [`cannot read: ${(err as Error).message}`]);
  }
  return parsePolicy(text, path);
}

/** The policy's version: the first 12 hex digits of the SHA-256 of its canonical JSON. */
export function policyVersion(policy: InspectionPolicy): string {
  return hashOf(policy).slice(0, 12);
}

/** A stratum's share for a plan of `days` days. */
export function stratumShare(rate: StratumRate, days: number): number {
  if (typeof rate === 'number') return rate;
  if ('ratio' in rate) return rate.ratio;
  return Math.min(1, (rate.perYear * days) / 365);
}

/** The yearly cap of a stratum, when it is written as one. */
export function stratumCap(rate: StratumRate): number | null {
  return typeof rate === 'object' && 'perYear' in rate ? rate.perYear : null;
}

export function strata(): Array<{ grade: CreditGrade; level: RiskLevel; key: string }> {
  return CREDIT_GRADES.flatMap((grade) => RISK_LEVELS.map((level) => ({ grade, level, key: `${grade}/${level}` })));
}
