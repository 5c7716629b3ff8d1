// Fixed-window counters with a bounded table: one client's abuse never grows memory past
// `maxKeys` entries (new keys are refused while the table is full, until the window turns).

export interface WindowLimiter {
  /** Counts one attempt for `key`; false when over the limit (or the table is full). */
  take(key: string): boolean;
  /** Seconds until the current window ends (for Retry-After). */
  retryAfter(): number;
  size(): number;
}

export function windowLimiter(limit: number, windowMs: number, clock: () => number, maxKeys = 10_000): WindowLimiter {
  let window = Math.floor(clock() / windowMs);
  const counts = new Map<string, number>();
  const turn = () => {
    const now = Math.floor(clock() / windowMs);
    if (now !== window) ((window = now), counts.clear());
  };
  return {
    take(key) {
      turn();
      const n = counts.get(key);
      if (n === undefined && counts.size >= maxKeys) return false;
      counts.set(key, (n ?? 0) + 1);
      return (n ?? 0) + 1 <= limit;
    },
    retryAfter: () => Math.max(1, Math.ceil(((window + 1) * windowMs - clock()) / 1000)),
    size: () => (turn(), counts.size),
  };
}
