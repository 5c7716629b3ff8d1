import { createHash } from 'node:crypto';
import { canonicalJson } from '../rules/index.js';

/**
 * Every hash in a plan (pool, policy, draw) is SHA-256 over canonical JSON: object keys sorted
 * at every depth, no whitespace, arrays in their order (the same text rule versions hash), so
 * anyone can recompute it with a few lines in any language.
 */
export { canonicalJson };

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256 of the canonical JSON of a value. */
export function hashOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
