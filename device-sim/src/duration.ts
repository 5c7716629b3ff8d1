const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * "500ms", "30s", "5m", "1h30m", "2d"; a bare number is seconds. Returns milliseconds,
 * or null when the text is not a duration. A leading "-" is kept only when `signed`.
 */
export function parseDuration(text: string, signed = false): number | null {
  let s = text.trim();
  let sign = 1;
  if (signed && (s.startsWith('-') || s.startsWith('+'))) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '') return null;
  if (/^\d+(\.\d+)?$/.test(s)) return sign * Math.round(Number(s) * 1000);
  // A sticky regex carries lastIndex, so each call builds its own.
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    part.lastIndex = pos;
    const m = part.exec(s);
    if (!m) return null;
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = part.lastIndex;
  }
  return sign * Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
