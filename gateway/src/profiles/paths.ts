// Dotted paths into parsed vendor documents: `after.camera`, `data.0.v`. An array met on the
// way without an index is read at its first element (XML lists of one come out either way).

export function getPath(doc: unknown, path: string): unknown {
  if (path === '' || path === '$') return doc;
  let cur: unknown = doc;
  for (const seg of path.split('.')) {
    if (Array.isArray(cur) && !/^\d+$/.test(seg)) cur = cur[0];
    if (cur === null || typeof cur !== 'object') return undefined;
    // Own properties only: a path never reaches an object's prototype.
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** The first path whose value is present (not undefined, null or ""). */
export function firstPresent(doc: unknown, paths: readonly string[]): unknown {
  for (const p of paths) {
    const v = getPath(doc, p);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

const DECIMAL = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/** A finite number from a JSON number or a number sent as a string ("1.25"); else undefined. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && DECIMAL.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
