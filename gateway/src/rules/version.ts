import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal definitions give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * First 12 hex digits of the SHA-256 of the rule's canonical definition (after parsing, so
 * `for: 60s` and `for: 1m` are the same version). Events carry it (DOMAIN.md section 7).
 */
export function ruleVersion(definition: unknown): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex').slice(0, 12);
}
