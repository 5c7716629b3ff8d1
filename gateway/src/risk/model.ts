import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DISPOSITIONS } from '../events/index.js';
import { canonicalJson, ruleVersion } from '../rules/index.js';

const points = z.number().min(-100).max(100);

/**
 * rules/risk.yaml: the weights of the risk score. Every factor adds points; the score is their
 * sum clamped to 0-100 (the clamp is itself a line of the breakdown, so the lines always add up).
 */
export const riskModelSchema = z
  .object({
    /** The window the score looks back over. */
    windowDays: z.number().int().min(1).max(366).default(30),
    /** The least score of each level above blue. */
    levels: z
      .object({ yellow: z.number().min(0).max(100), orange: z.number().min(0).max(100), red: z.number().min(0).max(100) })
      .strict()
      .refine((l) => l.yellow < l.orange && l.orange < l.red, { message: 'thresholds must rise: yellow < orange < red' }),
    events: z
      .object({
        /** Points per event raised in the window, by severity. */
        severity: z.object({ info: points, warning: points, major: points, critical: points }).strict(),
        /** Multiplier by catalogue item (default 1): items closer to loss of life weigh more. */
        items: z.record(z.string(), z.number().min(0).max(10)).default({}),
        /** Multiplier by how a person closed the event (default 1; still open = 1). */
        dispositions: z.partialRecord(z.enum(DISPOSITIONS), z.number().min(0).max(10)).default({}),
        /** The most points events may add together, so one noisy device cannot pin a site at 100. */
        cap: z.number().min(0).max(100),
      })
      .strict(),
    /** Points per event not acknowledged within its limit. */
    overdueAcknowledgement: points,
    /** Points at 100 % offline share of the site's devices over the window (linear). */
    offlineShare: points,
    /** Points at 100 % invalid share of the site's readings over the window (linear). */
    invalidShare: points,
    /** Points by credit grade; a site without one counts as `unrated`. */
    creditGrade: z.object({ A: points, B: points, C: points, D: points, unrated: points }).strict(),
    /** Points per inspection visit in the window, by its conclusion, and per overdue rectification. */
    inspections: z.object({ compliant: points, non_compliant: points, rectification_ordered: points, rectificationOverdue: points }).strict(),
  })
  .strict();

export type RiskModel = z.output<typeof riskModelSchema> & { version: string };
export const RISK_FILE = 'risk.yaml';

export class RiskModelError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RiskModelError';
  }
}

export function parseRiskModel(text: string, file = RISK_FILE): RiskModel {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) throw new RiskModelError(file, doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`));
  const parsed = riskModelSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) throw new RiskModelError(file, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  // Versioned like rules: the hash of the parsed model, so formatting changes keep the version.
  return { ...parsed.data, version: ruleVersion(JSON.parse(canonicalJson(parsed.data))) };
}

export function loadRiskModel(path: string): RiskModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RiskModelError(path, [`cannot read: ${(err as Error).message}`]);
  }
  return parseRiskModel(text, path);
}
