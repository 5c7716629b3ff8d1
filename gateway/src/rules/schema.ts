import { z } from 'zod';
import {
  SEVERITIES,
  detectionTypeSchema,
  deviceKindSchema,
  idSchema,
  metricNameSchema,
  sectorSchema,
  severityRank,
  severitySchema,
} from '../domain/index.js';
import { durationSchema } from './duration.js';

// The rule language of RULES.md as one zod schema. Parsed rules are normalised (lists for
// every match key, durations in ms, defaults filled) so the engine never re-interprets text.

/**
 * A scalar or a list meaning "any of"; always a list after parsing. The scalar is wrapped
 * before validation so a bad entry is reported at its own path with its own message.
 */
function oneOrMany<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (v === undefined || Array.isArray(v) ? v : [v]),
    z.array(item, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a value or a list of values') }).min(1, 'must list at least one value'),
  );
}

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

const comparisonShape = {
  gt: finite.optional(),
  gte: finite.optional(),
  lt: finite.optional(),
  lte: finite.optional(),
  outside: z
    .tuple([finite, finite])
    .refine(([low, high]) => low <= high, { message: 'outside: [low, high] needs low <= high' })
    .optional(),
};

function hasComparison(c: { gt?: number; gte?: number; lt?: number; lte?: number; outside?: [number, number] }): boolean {
  return c.gt !== undefined || c.gte !== undefined || c.lt !== undefined || c.lte !== undefined || c.outside !== undefined;
}
const NEEDS_COMPARISON = { message: 'needs at least one of gt, gte, lt, lte, outside' };

export const comparisonSchema = z.object(comparisonShape).strict().refine(hasComparison, NEEDS_COMPARISON);
export const levelSchema = z
  .object({ severity: severitySchema, ...comparisonShape })
  .strict()
  .refine(hasComparison, NEEDS_COMPARISON);

export const levelsSchema = z
  .array(levelSchema)
  .min(1, 'needs at least one level')
  .refine((levels) => levels.every((l, i) => i === 0 || severityRank(l.severity) <= severityRank(levels[i - 1]!.severity)), {
    message: `levels must be listed most severe first (${[...SEVERITIES].reverse().join(' > ')})`,
  });

const matchBase = {
  sector: oneOrMany(sectorSchema).optional(),
  site: oneOrMany(idSchema).optional(),
  device: oneOrMany(idSchema).optional(),
  kind: oneOrMany(deviceKindSchema).optional(),
};
// Telemetry kinds compare a metric, so they must name one; offline and detection must not.
// interval: the data kind (HJ 212 real-time, minute, hourly, daily); without it a rule sees real-time values only.
const telemetryMatchSchema = z.object({ ...matchBase, metric: oneOrMany(metricNameSchema), interval: oneOrMany(z.enum(['rt', 'min', 'hour', 'day'])).optional() }).strict();
const deviceMatchSchema = z.object(matchBase).strict();

const overrideTarget = { site: oneOrMany(idSchema).optional(), device: oneOrMany(idSchema).optional() };
const NEEDS_TARGET = { message: 'an override needs a site or a device' };
function hasTarget(o: { site?: string[]; device?: string[] }): boolean {
  return o.site !== undefined || o.device !== undefined;
}

const common = {
  id: idSchema,
  item: z.string().min(1).max(64),
  title: z.string().min(1).max(200),
  /** The title in Chinese, shown by the console in zh-CN with the English beside. */
  title_zh: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
};

const levelTunables = {
  levels: levelsSchema,
  clear: comparisonSchema.optional(),
  for: durationSchema.default(0),
  clearFor: durationSchema.default(0),
};
function levelOverrides() {
  return z
    .array(
      z
        .object({ ...overrideTarget, levels: levelsSchema.optional(), clear: comparisonSchema.optional(), for: durationSchema.optional(), clearFor: durationSchema.optional() })
        .strict()
        .refine(hasTarget, NEEDS_TARGET),
    )
    .default([]);
}

export const thresholdRuleSchema = z
  .object({ ...common, kind: z.literal('threshold'), match: telemetryMatchSchema, ...levelTunables, overrides: levelOverrides() })
  .strict();

export const rateRuleSchema = z
  .object({ ...common, kind: z.literal('rate'), match: telemetryMatchSchema, per: durationSchema, ...levelTunables, overrides: levelOverrides() })
  .strict()
  .refine((r) => r.per > 0, { message: 'per must be longer than 0', path: ['per'] });

export const AGGREGATES = ['avg', 'max', 'min', 'sum', 'count'] as const;
export const windowRuleSchema = z
  .object({
    ...common,
    kind: z.literal('window'),
    match: telemetryMatchSchema,
    window: durationSchema,
    aggregate: z.enum(AGGREGATES),
    ...levelTunables,
    overrides: levelOverrides(),
  })
  .strict()
  .refine((r) => r.window > 0, { message: 'window must be longer than 0', path: ['window'] });

export const flatlineRuleSchema = z
  .object({
    ...common,
    kind: z.literal('flatline'),
    match: telemetryMatchSchema,
    tolerance: finite.positive(),
    for: durationSchema,
    severity: severitySchema,
    overrides: z
      .array(
        z
          .object({ ...overrideTarget, tolerance: finite.positive().optional(), for: durationSchema.optional(), severity: severitySchema.optional() })
          .strict()
          .refine(hasTarget, NEEDS_TARGET),
      )
      .default([]),
  })
  .strict()
  .refine((r) => r.for > 0, { message: 'a flatline needs a "for" longer than 0', path: ['for'] });

export const offlineRuleSchema = z
  .object({
    ...common,
    kind: z.literal('offline'),
    match: deviceMatchSchema,
    after: durationSchema,
    severity: severitySchema,
    overrides: z
      .array(
        z
          .object({ ...overrideTarget, after: durationSchema.optional(), severity: severitySchema.optional() })
          .strict()
          .refine(hasTarget, NEEDS_TARGET),
      )
      .default([]),
  })
  .strict()
  .refine((r) => r.after > 0, { message: 'after must be longer than 0', path: ['after'] });

export const detectionRuleSchema = z
  .object({
    ...common,
    kind: z.literal('detection'),
    match: deviceMatchSchema,
    types: oneOrMany(detectionTypeSchema),
    // Frigate's default min_score (DOMAIN.md section 3).
    minConfidence: z.number().min(0).max(1).default(0.5),
    count: z.number().int().min(1).default(1),
    within: durationSchema.default(60_000),
    clearAfter: durationSchema.default(300_000),
    cooldown: durationSchema.default(0),
    severity: severitySchema,
    overrides: z
      .array(
        z
          .object({
            ...overrideTarget,
            minConfidence: z.number().min(0).max(1).optional(),
            count: z.number().int().min(1).optional(),
            severity: severitySchema.optional(),
          })
          .strict()
          .refine(hasTarget, NEEDS_TARGET),
      )
      .default([]),
  })
  .strict()
  .refine((r) => r.clearAfter > 0, { message: 'clearAfter must be longer than 0', path: ['clearAfter'] });

export const RULE_KINDS = ['threshold', 'rate', 'window', 'flatline', 'offline', 'detection'] as const;

export const ruleSchema = z.discriminatedUnion('kind', [
  thresholdRuleSchema,
  rateRuleSchema,
  windowRuleSchema,
  flatlineRuleSchema,
  offlineRuleSchema,
  detectionRuleSchema,
]);

/** The outer shape of a rule file; each rule is then parsed alone so problems name it. */
export const ruleFileSchema = z.object({ rules: z.array(z.unknown()) }).strict();

export type RuleInput = z.input<typeof ruleSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type RuleKind = Rule['kind'];
export type ThresholdRule = z.output<typeof thresholdRuleSchema>;
export type RateRule = z.output<typeof rateRuleSchema>;
export type WindowRule = z.output<typeof windowRuleSchema>;
export type FlatlineRule = z.output<typeof flatlineRuleSchema>;
export type OfflineRule = z.output<typeof offlineRuleSchema>;
export type DetectionRule = z.output<typeof detectionRuleSchema>;
export type LevelRule = ThresholdRule | RateRule | WindowRule;
export type Comparison = z.output<typeof comparisonSchema>;
export type Level = z.output<typeof levelSchema>;
export type Aggregate = (typeof AGGREGATES)[number];
