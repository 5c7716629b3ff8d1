import { createHash } from 'node:crypto';

/**
 * The deterministic generator every draw uses (documented in README "Inspections"):
 *
 *   block(i) = SHA-256( seed bytes (32) || 0x00 || UTF-8(label) || 0x00 || uint32_be(i) ),  i = 0, 1, ...
 *
 * Each 32-byte block yields eight big-endian uint32 words, consumed in order. One stream per
 * label (`sites:<department>:<grade>/<level>`, `count:...`, `inspectors:<department>:<site>`),
 * so a change in one stratum never shifts the numbers another stratum gets.
 *
 *   below(n): rejection sampling: draw u until u < floor(2^32 / n) * n, answer u mod n (no modulo bias).
 *   unit():   (a >>> 11) * 2^32 + b over 2^53, from two consecutive words a, b: a float in [0, 1).
 *
 * SHA-256 is used in counter mode as a DRBG: with a secret 256-bit seed the numbers cannot be
 * predicted before the reveal, and after it anyone can reproduce them.
 */
export interface SeededStream {
  nextUint32(): number;
  below(n: number): number;
  unit(): number;
}

export const SEED_BYTES = 32;

export function parseSeed(seedHex: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(seedHex)) throw new Error('a seed is 64 lower-case hex digits (256 bits)');
  return Buffer.from(seedHex, 'hex');
}

export function createStream(seedHex: string, label: string): SeededStream {
  const seed = parseSeed(seedHex);
  const prefix = Buffer.concat([seed, Buffer.from([0]), Buffer.from(label, 'utf8'), Buffer.from([0])]);
  let counter = 0;
  let block = Buffer.alloc(0);
  let offset = 0;
  const counterBytes = Buffer.alloc(4);

  function nextUint32(): number {
    if (offset >= block.length) {
      counterBytes.writeUInt32BE(counter++);
      block = createHash('sha256').update(prefix).update(counterBytes).digest();
      offset = 0;
    }
    const v = block.readUInt32BE(offset);
    offset += 4;
    return v;
  }

  return {
    nextUint32,
    below(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`below(${n}): n must be an integer in 1..2^32`);
      const limit = Math.floor(2 ** 32 / n) * n;
      for (;;) {
        const u = nextUint32();
        if (u < limit) return u % n;
      }
    },
    unit(): number {
      const a = nextUint32() >>> 11;
      const b = nextUint32();
      return (a * 2 ** 32 + b) / 2 ** 53;
    },
  };
}

/** The first `k` of `items` after a Fisher-Yates shuffle driven by the stream (k <= items.length). */
export function pick<T>(items: readonly T[], k: number, rng: SeededStream): T[] {
  const a = [...items];
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.below(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}
