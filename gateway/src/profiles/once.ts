/**
 * Remembers which vendor event ids already produced a detection (Frigate sends new, many
 * updates and end for one object), per device, bounded: the oldest ids are forgotten first.
 */
export function createOnceMemory(max = 10_000) {
  const seen = new Map<string, true>();
  return {
    has: (key: string) => seen.has(key),
    add(key: string): void {
      seen.delete(key);
      seen.set(key, true);
      while (seen.size > max) seen.delete(seen.keys().next().value!);
    },
    size: () => seen.size,
  };
}
export type OnceMemory = ReturnType<typeof createOnceMemory>;

/**
 * The post counters of ongoing alarms (Hikvision ISAPI `activePostCount`), per device, type and
 * camera, bounded like the once memory. Count 1 starts an alarm; a higher count that goes on
 * from one seen within the window is a repeat of it (a re-sent post, same count, as well). A
 * count lower than the last one, or one after a long silence, is a new alarm whose first post
 * was missed: it counts.
 */
export function createRepeatMemory(max = 10_000) {
  const last = new Map<string, { count: number; at: number }>();
  return {
    /** Whether the post continues an alarm already counted; a continuing post refreshes it. */
    continues(key: string, count: number, now: number, withinMs: number): boolean {
      const l = last.get(key);
      if (!l || count <= 1 || count < l.count || now - l.at > withinMs) return false;
      l.count = count;
      l.at = now;
      return true;
    },
    /** A post that counted: the alarm it starts. */
    started(key: string, count: number, now: number): void {
      last.delete(key);
      last.set(key, { count, at: now });
      while (last.size > max) last.delete(last.keys().next().value!);
    },
  };
}
