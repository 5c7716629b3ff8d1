import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

/** Opaque cursor of an event page: the order it belongs to and the sort key of its last row. */
export function encodePageCursor(order: string, keys: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([order, ...keys])).toString('base64url');
}

export function decodePageCursor(cursor: string, order: string): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const ok = Array.isArray(parsed) && parsed.length > 1 && parsed.length <= 8 && parsed.every((v) => (typeof v === 'string' && v.length <= 64) || Number.isFinite(v));
  if (!ok || !Array.isArray(parsed)) throw new ApiError('GW_BAD_CURSOR', 'cursor is not one this API returned (use nextCursor as given)');
  if (parsed[0] !== order) throw new ApiError('GW_BAD_CURSOR', `cursor belongs to order=${String(parsed[0])}, not order=${order}`);
  return parsed.slice(1) as (string | number)[];
}

/** Who a sealed position was given to; it opens only for the same user with the same scope. */
export interface CursorScope {
  user: string;
  sites: readonly string[] | null;
  departments?: readonly string[] | null;
}

/** What a position is for: an audit page, or an event stream's `id:`. One never opens as the other. */
export type PositionPurpose = 'audit' | 'stream';

/** A sealed position is this long in base64url (one AES block). */
const SEALED_LENGTH = 22;

/**
 * Audit-chain positions (global sequence numbers) sealed for one caller, so that callers who
 * see only some sites can page and resume without learning how many rows of other sites lie
 * between theirs (issue 20, finding 14). A sealed position is one AES-256 block holding the
 * sequence number and a 64-bit MAC over it, the purpose and the caller's scope: it cannot be
 * read without the key, and a changed or made-up one (or another caller's) does not open.
 * Deterministic on purpose: there is no nonce to run out of, and sealing the same position for
 * the same caller twice tells them only what they already know.
 */
export function createPositionCursors(key: Buffer) {
  if (key.length < 32) throw new Error('the cursor key must have at least 32 bytes');
  const encKey = createHmac('sha256', key).update('position-cursor-aes').digest();
  const macKey = createHmac('sha256', key).update('position-cursor-mac').digest();
  const list = (v: readonly string[] | null | undefined) => (v ? [...v].sort() : null);
  const mac = (purpose: PositionPurpose, scope: CursorScope, seq: Buffer) =>
    createHmac('sha256', macKey).update(JSON.stringify([purpose, scope.user, list(scope.sites), list(scope.departments)])).update(seq).digest().subarray(0, 8);
  const refused = () => new ApiError('GW_BAD_CURSOR', 'cursor is not one this API gave you (use nextCursor, or the stream id, as given)');

  return {
    seal(purpose: PositionPurpose, scope: CursorScope, seq: number): string {
      const plain = Buffer.alloc(16);
      plain.writeBigUInt64BE(BigInt(seq));
      mac(purpose, scope, plain.subarray(0, 8)).copy(plain, 8);
      const cipher = createCipheriv('aes-256-ecb', encKey, null).setAutoPadding(false);
      return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64url');
    },

    /** The position a sealed cursor holds; GW_BAD_CURSOR when it was not sealed for this caller and purpose. */
    open(purpose: PositionPurpose, scope: CursorScope, cursor: string): number {
      if (cursor.length !== SEALED_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refused();
      const block = Buffer.from(cursor, 'base64url');
      // One spelling only: the last character's two spare bits must be as sealed, too.
      if (block.length !== 16 || block.toString('base64url') !== cursor) throw refused();
      const decipher = createDecipheriv('aes-256-ecb', encKey, null).setAutoPadding(false);
      const plain = Buffer.concat([decipher.update(block), decipher.final()]);
      if (!timingSafeEqual(plain.subarray(8), mac(purpose, scope, plain.subarray(0, 8)))) throw refused();
      const seq = plain.readBigUInt64BE(0);
      if (seq > BigInt(Number.MAX_SAFE_INTEGER)) throw refused();
      return Number(seq);
    },

    /** Whether a string has the shape of a sealed position (not whether it opens). */
    looksSealed: (s: string) => s.length === SEALED_LENGTH && /^[A-Za-z0-9_-]+$/.test(s),
  };
}
export type PositionCursors = ReturnType<typeof createPositionCursors>;
