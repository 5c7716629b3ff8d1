import { ApiError } from './errors.js';

/** Opaque page cursor: the (raisedAt, id) of the last event on the page. */
export function encodeCursor(raisedAt: number, id: string): string {
  return Buffer.from(`${raisedAt}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { raisedAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):(ev-[0-9a-z]{9}-[0-9a-f]{10})$/.exec(text);
  if (!m) throw new ApiError('GW_BAD_CURSOR', 'cursor is not one this API returned (use nextCursor as given)');
  return { raisedAt: Number(m[1]), id: m[2]! };
}

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
