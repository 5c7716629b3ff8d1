import { z } from 'zod';
import { severitySchema } from '../domain/index.js';

// The result of a backtest, as the CLI prints it with --format json and the API returns it.

export const simEventSchema = z.object({
  key: z.string(),
  rule: z.string(),
  item: z.string(),
  site: z.string(),
  device: z.string(),
  raisedAt: z.number(),
  resolvedAt: z.number().nullable(),
  /** The highest severity the event reached. */
  severity: severitySchema,
});
export type SimEvent = z.infer<typeof simEventSchema>;

const pastRefSchema = z.object({ id: z.string(), key: z.string(), rule: z.string(), site: z.string(), raisedAt: z.number() });

const countsSchema = z.object({
  /** Events the rules in force raise over the period. */
  before: z.number(),
  /** Events the candidate raises over the period. */
  after: z.number(),
  /** Raised by the rules in force, not by the candidate. */
  removed: z.number(),
  /** Raised by the candidate only. */
  added: z.number(),
  /** Raised by both, the candidate earlier / later. */
  earlier: z.number(),
  later: z.number(),
  /** Raised by both, the candidate's highest severity above / below. */
  severityUp: z.number(),
  severityDown: z.number(),
  /** Past events closed as false alarms that the candidate would not have raised. */
  avoidedFalseAlarms: z.number(),
  /** Past events closed as confirmed violations that the candidate would not have raised. */
  missedConfirmed: z.number(),
  pastFalseAlarms: z.number(),
  pastConfirmed: z.number(),
  /** Past events of this rule that the rules in force did not raise again from the stored data. */
  unreproduced: z.number(),
});

export const backtestResultSchema = z.object({
  from: z.number(),
  to: z.number(),
  points: z.number(),
  messages: z.number(),
  /** Stored points whose device is not (or no longer) in the registry: not replayed. */
  skippedPoints: z.number(),
  totals: countsSchema,
  perRule: z.array(countsSchema.extend({ rule: z.string() })),
  perSite: z.array(countsSchema.extend({ site: z.string() })),
  removed: z.array(simEventSchema),
  added: z.array(simEventSchema),
  changed: z.array(z.object({ before: simEventSchema, after: simEventSchema, raiseShiftMs: z.number() })),
  avoidedFalseAlarms: z.array(pastRefSchema),
  missedConfirmed: z.array(pastRefSchema),
  /** Lists above are cut at this length; the counts are complete. */
  listLimit: z.number(),
});
export type BacktestResult = z.infer<typeof backtestResultSchema>;
export type BacktestCounts = z.infer<typeof countsSchema>;
