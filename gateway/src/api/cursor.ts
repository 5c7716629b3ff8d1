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
