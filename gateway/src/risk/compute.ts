import { z } from 'zod';
import { riskLevelSchema, type CreditGrade, type RiskLevel, type Severity } from '../domain/index.js';
import type { RiskModel } from './model.js';

const DAY = 86_400_000;

/** What the score reads for one site; the service gathers it, the computation only adds. */
export interface RiskInput {
  site: string;
  creditGrade: CreditGrade | null;
  events: Array<{ item: string; severity: Severity; raisedAt: number; disposition: string | null; overdue: boolean }>;
  /** Share of device-time offline in the window (0-1), null when unknown. */
  offlineShare: number | null;
  /** Share of readings flagged invalid in the window (0-1), null when unknown. */
  invalidShare: number | null;
  /** Inspection visits that ended in the window, with their conclusion and overdue rectifications. */
  inspections: Array<{ endedAt: number; conclusion: 'compliant' | 'non_compliant' | 'rectification_ordered'; overdueRectifications: number }>;
}

export const contributionSchema = z.object({
  factor: z.enum(['events', 'events_cap', 'overdue_acknowledgement', 'offline', 'data_quality', 'credit_grade', 'inspections', 'clamp']),
  points: z.number(),
  detail: z.string(),
});
export type Contribution = z.infer<typeof contributionSchema>;

export const riskScoreSchema = z.object({
  site: z.string(),
  score: z.number(),
  level: riskLevelSchema,
  at: z.number(),
  window: z.object({ from: z.number(), to: z.number() }),
  modelVersion: z.string(),
  breakdown: z.array(contributionSchema),
});
export type RiskScore = z.infer<typeof riskScoreSchema>;

// Points are kept in hundredths (integers) so the breakdown adds up to the score exactly.
const cents = (x: number) => Math.round(x * 100);

export function levelOf(model: RiskModel, score: number): RiskLevel {
  if (score >= model.levels.red) return 'red';
  if (score >= model.levels.orange) return 'orange';
  if (score >= model.levels.yellow) return 'yellow';
  return 'blue';
}

/**
 * A site's risk score at `now`: pure, time injected. Each factor's points are a line of the
 * breakdown; the lines, in hundredths, add up to the score exactly.
 */
export function computeRisk(model: RiskModel, input: RiskInput, now: number): RiskScore {
  const from = now - model.windowDays * DAY;
  const inWindow = (t: number) => t >= from && t <= now;
  const lines: Array<{ factor: Contribution['factor']; c: number; detail: string }> = [];

  const events = input.events.filter((e) => inWindow(e.raisedAt));
  let eventCents = 0;
  const bySeverity = new Map<string, number>();
  for (const e of events) {
    const item = model.events.items[e.item] ?? 1;
    const disposition = e.disposition === null ? 1 : (model.events.dispositions[e.disposition as keyof typeof model.events.dispositions] ?? 1);
    const c = cents(model.events.severity[e.severity] * item * disposition);
    eventCents += c;
    bySeverity.set(e.severity, (bySeverity.get(e.severity) ?? 0) + 1);
  }
  if (events.length) {
    const counts = [...bySeverity].map(([s, n]) => `${n} ${s}`).join(', ');
    const confirmed = events.filter((e) => e.disposition === 'confirmed_violation').length;
    const falseAlarms = events.filter((e) => e.disposition === 'false_alarm').length;
    lines.push({ factor: 'events', c: eventCents, detail: `${events.length} event(s) in ${model.windowDays} d (${counts}); ${confirmed} confirmed violation(s), ${falseAlarms} false alarm(s)` });
    const cap = cents(model.events.cap);
    if (eventCents > cap) lines.push({ factor: 'events_cap', c: cap - eventCents, detail: `events count for at most ${model.events.cap} points` });
  }

  const overdue = events.filter((e) => e.overdue).length;
  if (overdue) lines.push({ factor: 'overdue_acknowledgement', c: overdue * cents(model.overdueAcknowledgement), detail: `${overdue} event(s) not acknowledged in time` });

  if (input.offlineShare !== null && input.offlineShare > 0) {
    lines.push({ factor: 'offline', c: cents(model.offlineShare * input.offlineShare), detail: `devices offline ${(input.offlineShare * 100).toFixed(1)} % of the window` });
  }
  if (input.invalidShare !== null && input.invalidShare > 0) {
    lines.push({ factor: 'data_quality', c: cents(model.invalidShare * input.invalidShare), detail: `${(input.invalidShare * 100).toFixed(1)} % of readings flagged invalid` });
  }

  const grade = input.creditGrade ?? 'unrated';
  lines.push({ factor: 'credit_grade', c: cents(model.creditGrade[grade]), detail: `credit grade ${grade}` });

  const visits = input.inspections.filter((v) => inWindow(v.endedAt));
  if (visits.length) {
    let c = 0;
    let overdueRect = 0;
    for (const v of visits) {
      c += cents(model.inspections[v.conclusion]);
      overdueRect += v.overdueRectifications;
      c += v.overdueRectifications * cents(model.inspections.rectificationOverdue);
    }
    const summary = visits.map((v) => v.conclusion).join(', ');
    lines.push({ factor: 'inspections', c, detail: `${visits.length} inspection(s): ${summary}${overdueRect ? `; ${overdueRect} rectification(s) overdue` : ''}` });
  }

  const raw = lines.reduce((s, l) => s + l.c, 0);
  const clamped = Math.min(10_000, Math.max(0, raw));
  if (clamped !== raw) lines.push({ factor: 'clamp', c: clamped - raw, detail: `the score is kept within 0-100` });
  const score = clamped / 100;
  return {
    site: input.site,
    score,
    level: levelOf(model, score),
    at: now,
    window: { from, to: now },
    modelVersion: model.version,
    breakdown: lines.map((l) => ({ factor: l.factor, points: l.c / 100, detail: l.detail })),
  };
}
