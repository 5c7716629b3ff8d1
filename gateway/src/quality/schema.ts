import { z } from 'zod';
import { severitySchema } from '../domain/index.js';
import { dispositionSchema } from '../events/index.js';
import { parseDuration } from '../rules/index.js';

// What alarm-quality figures are computed over and how they are asked for. The figures are
// pure functions of these inputs (figures.ts); where the events come from is source.ts.

export const GROUP_DIMENSIONS = ['rule', 'item', 'site', 'department', 'day'] as const;
export const groupDimensionSchema = z.enum(GROUP_DIMENSIONS);
export type GroupDimension = z.infer<typeof groupDimensionSchema>;

/** One event as the figures need it (a projection of the events store's row). */
export const qualityEventSchema = z.object({
  id: z.string(),
  key: z.string(),
  rule: z.string(),
  item: z.string(),
  site: z.string(),
  device: z.string(),
  severity: severitySchema,
  raisedAt: z.number(),
  acknowledgedAt: z.number().nullable(),
  resolvedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  disposition: dispositionSchema.nullable(),
  suppressed: z.boolean(),
});
export type QualityEvent = z.infer<typeof qualityEventSchema>;

export interface QualityOptions {
  from: number;
  to: number;
  groupBy: GroupDimension[];
  /** A key chatters when this many raises fall within `chatterWindowMs` (EEMUA 191: 3 in a minute). */
  chatterCount: number;
  chatterWindowMs: number;
  /** An alarm unresolved for longer than this is standing (stale). */
  standingAfterMs: number;
  /** A 10-minute window with more raises than this is a flood. */
  floodAbove: number;
  /** Offset of local time from UTC for `day` groups, minutes (China Standard Time: 480). */
  utcOffsetMinutes: number;
  /** The department that supervises a catalogue item; null when unknown. */
  departmentOf?: (item: string) => string | null;
}

export const QUALITY_DEFAULTS = {
  chatterCount: 3,
  chatterWindowMs: 60_000,
  standingAfterMs: 24 * 3_600_000,
  floodAbove: 10,
  utcOffsetMinutes: 480,
  periodMs: 7 * 86_400_000,
} as const;

const durationParam = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${s.slice(0, 40)}" is not a duration like 60s, 5m, 24h` });
    return z.NEVER;
  }
  return ms;
});

const timeParam = z.string().transform((s, ctx) => {
  const t = /^\d{1,16}$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: 'custom', message: `"${s.slice(0, 40)}" is neither epoch milliseconds nor an ISO 8601 time` });
    return z.NEVER;
  }
  return t;
});

/** `GET /api/alarm-quality` query string. */
export const qualityQuerySchema = z
  .object({
    from: timeParam.optional(),
    to: timeParam.optional(),
    groupBy: z
      .string()
      .default('rule')
      .transform((s, ctx) => {
        const dims = s.split(',').map((d) => d.trim()).filter((d) => d !== '');
        const bad = dims.filter((d) => !(GROUP_DIMENSIONS as readonly string[]).includes(d));
        if (bad.length > 0 || dims.length === 0) {
          ctx.addIssue({ code: 'custom', message: `groupBy takes a comma-separated list of ${GROUP_DIMENSIONS.join(', ')}; got "${s.slice(0, 60)}"` });
          return z.NEVER;
        }
        return [...new Set(dims)] as GroupDimension[];
      }),
    site: z.string().min(1).max(200).optional(),
    chatterCount: z.coerce.number().int().min(2).max(1000).default(QUALITY_DEFAULTS.chatterCount),
    chatterWindow: durationParam.default(QUALITY_DEFAULTS.chatterWindowMs),
    standingAfter: durationParam.default(QUALITY_DEFAULTS.standingAfterMs),
    floodAbove: z.coerce.number().int().min(1).max(100_000).default(QUALITY_DEFAULTS.floodAbove),
    utcOffset: z.coerce.number().int().min(-720).max(840).default(QUALITY_DEFAULTS.utcOffsetMinutes),
    limit: z.coerce.number().int().min(1).max(10_000).default(200),
  })
  .strict();
export type QualityQuery = z.output<typeof qualityQuerySchema>;

const msStats = z.object({ count: z.number(), medianMs: z.number().nullable(), p90Ms: z.number().nullable() });

export const qualityFiguresSchema = z.object({
  /** Raises annunciated in the period (suppressed ones are counted apart). */
  raised: z.number(),
  perDay: z.number(),
  per10Min: z.number(),
  peak10Min: z.number(),
  floodWindows: z.number(),
  floodShare: z.number(),
  chatteringKeys: z.number(),
  chatteringRaises: z.number(),
  standing: z.number(),
  closed: z.number(),
  falseAlarms: z.number(),
  confirmed: z.number(),
  /** false_alarm among closed events with a disposition; null when none was closed. */
  falseAlarmShare: z.number().nullable(),
  toAcknowledge: msStats,
  toClose: msStats,
  suppressed: z.number(),
  /** Of the whole period's load. */
  share: z.number(),
});
export type QualityFigures = z.infer<typeof qualityFiguresSchema>;

export const benchmarkSchema = z.object({
  figure: z.string(),
  target: z.number(),
  /** `max`: the figure should stay at or below the target. */
  kind: z.literal('max'),
  label: z.string(),
  source: z.string(),
  /** Whether the target was found in a public summary of the standard (see the README). */
  checked: z.boolean(),
  value: z.number().nullable(),
  met: z.boolean().nullable(),
});
export type Benchmark = z.infer<typeof benchmarkSchema>;

export const qualityGroupSchema = qualityFiguresSchema.extend({
  group: z.record(z.string(), z.string()),
  label: z.string(),
  chattering: z.array(z.string()),
});
export type QualityGroup = z.infer<typeof qualityGroupSchema>;

export const qualityReportSchema = z.object({
  from: z.number(),
  to: z.number(),
  groupBy: z.array(groupDimensionSchema),
  settings: z.object({ chatterCount: z.number(), chatterWindowMs: z.number(), standingAfterMs: z.number(), floodAbove: z.number(), utcOffsetMinutes: z.number() }),
  summary: qualityFiguresSchema.extend({
    topTen: z.array(z.object({ rule: z.string(), raised: z.number() })),
    topTenShare: z.number(),
  }),
  benchmarks: z.array(benchmarkSchema),
  groups: z.array(qualityGroupSchema),
  /** Groups left out by `limit` (the worst come first). */
  more: z.number(),
});
export type QualityReport = z.infer<typeof qualityReportSchema>;
