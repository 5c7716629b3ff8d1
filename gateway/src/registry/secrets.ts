import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: { N: number; maxmem: number }) => Promise<Buffer>;

// scrypt parameters: N=16384 keeps a verification near 50 ms on one core, slow for a guesser.
const N = 16384;
const KEYLEN = 32;

/** `scrypt$<N>$<salt b64>$<hash b64>` */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, KEYLEN, { N });
  return `scrypt$${N}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Constant-time check of a presented secret; hashing runs off the event loop. */
export async function verifySecret(secret: string, stored: { secret?: string; secretHash?: string }): Promise<boolean> {
  if (stored.secretHash) {
    const [, n, saltB64, hashB64] = stored.secretHash.split('$');
    if (!n || !saltB64 || !hashB64) return false;
    const expected = Buffer.from(hashB64, 'base64');
    const actual = await scryptAsync(secret, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(n), maxmem: 64 * 1024 * 1024 });
    return timingSafeEqual(actual, expected);
  }
  if (stored.secret === undefined) return false;
  const a = Buffer.from(secret);
  const b = Buffer.from(stored.secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
