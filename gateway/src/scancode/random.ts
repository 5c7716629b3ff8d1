import { randomBytes, randomInt } from 'node:crypto';

// Codes people or phones carry: site codes in QR URLs, complaint tracking codes, the one-time
// visit confirmation code an inspector reads out.

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `bytes` random bytes as lower-case RFC 4648 base32 without padding (8 bits -> 1.6 chars). */
export function randomBase32(bytes: number): string {
  const buf = randomBytes(bytes);
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of buf) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

// No 0/O, 1/I/L: read out loud and typed on a phone without mistakes.
const SPOKEN = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** A short code to type by hand (8 characters of 31: about 2^39), safe only with attempt limits. */
export function spokenCode(length = 8): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SPOKEN[randomInt(SPOKEN.length)];
  return out;
}

/** How a typed spoken code is compared: upper case, spaces and dashes dropped. */
export const normaliseSpoken = (s: string) => s.toUpperCase().replace(/[\s-]/g, '');

/** Site codes: 160 bits, 32 base32 characters. */
export const SITE_CODE_PATTERN = /^[a-z2-7]{32}$/;
/** Tracking codes: 160 bits too; the sender keeps it, and it names nobody. */
export const TRACKING_PATTERN = /^[a-z2-7]{32}$/;
