import { severityRank, type Severity } from '../domain/index.js';
import type { Comparison, Level } from './schema.js';

/**
 * A comparison compiled to plain numbers: absent bounds become infinities so the hot path
 * is a handful of numeric comparisons with no branching on which keys were written. One
 * class for levels and clear conditions keeps every call site monomorphic.
 */
export class CompiledComparison {
  constructor(
    readonly gt: number,
    readonly gte: number,
    readonly lt: number,
    readonly lte: number,
    readonly hasOutside: boolean,
    readonly outsideLow: number,
    readonly outsideHigh: number,
    /** The level's severity; a clear condition has none ("info", rank -1). */
    readonly severity: Severity,
    readonly rank: number,
  ) {}
}
export type CompiledLevel = CompiledComparison;

export function compileComparison(c: Comparison): CompiledComparison {
  return new CompiledComparison(c.gt ?? -Infinity, c.gte ?? -Infinity, c.lt ?? Infinity, c.lte ?? Infinity, c.outside !== undefined, c.outside?.[0] ?? 0, c.outside?.[1] ?? 0, 'info', -1);
}

export function compileLevel(l: Level): CompiledLevel {
  const c = l;
  return new CompiledComparison(c.gt ?? -Infinity, c.gte ?? -Infinity, c.lt ?? Infinity, c.lte ?? Infinity, c.outside !== undefined, c.outside?.[0] ?? 0, c.outside?.[1] ?? 0, l.severity, severityRank(l.severity));
}

export function holds(c: CompiledComparison, v: number): boolean {
  return v > c.gt && v >= c.gte && v < c.lt && v <= c.lte && (!c.hasOutside || v < c.outsideLow || v > c.outsideHigh);
}

/** The first level that holds (levels are most severe first), or -1. */
export function firstLevel(levels: CompiledLevel[], v: number): number {
  for (let i = 0; i < levels.length; i++) if (holds(levels[i]!, v)) return i;
  return -1;
}

/**
 * The bound a value is reported against, with its operator: the side of `outside` that was
 * crossed, else the lower bound (an alarm level is usually "at least"), else the upper.
 */
export function boundOf(c: CompiledComparison, v: number): { op: string; bound: number } | null {
  if (c.hasOutside) return v < c.outsideLow ? { op: '<', bound: c.outsideLow } : { op: '>', bound: c.outsideHigh };
  if (c.gte !== -Infinity) return { op: '>=', bound: c.gte };
  if (c.gt !== -Infinity) return { op: '>', bound: c.gt };
  if (c.lte !== Infinity) return { op: '<=', bound: c.lte };
  if (c.lt !== Infinity) return { op: '<', bound: c.lt };
  return null;
}

/** The bound of a clear condition: the upper bound first, since clearing is usually "below". */
export function clearBoundOf(c: CompiledComparison, v: number): { op: string; bound: number } | null {
  if (c.lt !== Infinity) return { op: '<', bound: c.lt };
  if (c.lte !== Infinity) return { op: '<=', bound: c.lte };
  return boundOf(c, v);
}
