import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** `500ms`, `10s`, `5m`, `1h`, `1d` (RULES.md) to milliseconds, or null when malformed. */
export function parseDuration(text: string): number | null {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** The shortest exact spelling of a duration, for messages: 90000 -> "90s", 300000 -> "5m". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

// A bare 0 is accepted too: `for: 0` reads naturally and means "at once".
export const durationSchema = z
  .union([z.literal(0), z.string()])
  .transform((value, ctx) => {
    if (value === 0) return 0;
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration like 500ms, 10s, 5m, 1h or 1d` });
      return z.NEVER;
    }
    return ms;
  });
