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
