// Split packets (Flag bit D, PNUM/PNO): parts of one message share QN; they are held until all
// have arrived, with a bound on parts and on bytes per connection, and dropped after a timeout.
import type { Packet } from './packet.js';

export interface SplitLimits {
  maxParts: number;
  /** Bytes of CP held per connection across all incomplete messages. */
  maxBytes: number;
  timeoutMs: number;
}

export const defaultSplitLimits: SplitLimits = { maxParts: 64, maxBytes: 64 * 1024, timeoutMs: 30_000 };

interface Pending<T> {
  pnum: number;
  parts: Map<number, { packet: Packet; tag: T }>;
  bytes: number;
  firstAt: number;
}

export type SplitOutcome<T> =
  | { type: 'complete'; packet: Packet; parts: { packet: Packet; tag: T }[] }
  | { type: 'held' }
  | { type: 'refused'; reason: 'split_invalid'; detail: string };

/**
 * One per connection. `tag` travels with each part (the raw frame, say) so the caller can
 * store and acknowledge every part once the whole message is durable.
 */
export class Reassembler<T> {
  private pending = new Map<string, Pending<T>>();
  private bytes = 0;

  constructor(private readonly limits: SplitLimits = defaultSplitLimits) {}

  held(): number {
    return this.bytes;
  }

  add(packet: Packet, tag: T, now: number): SplitOutcome<T> {
    const { pnum, pno } = packet;
    if (pnum === undefined || pno === undefined) return { type: 'complete', packet, parts: [{ packet, tag }] };
    if (pnum > this.limits.maxParts) return { type: 'refused', reason: 'split_invalid', detail: `PNUM=${pnum} is over the limit of ${this.limits.maxParts} parts` };
    if (pnum === 1) return { type: 'complete', packet, parts: [{ packet, tag }] };
    const key = `${packet.qn ?? ''}|${packet.cn}`;
    let p = this.pending.get(key);
    if (p && p.pnum !== pnum) return { type: 'refused', reason: 'split_invalid', detail: `PNUM changed from ${p.pnum} to ${pnum} within QN ${packet.qn}` };
    if (this.bytes + packet.cp.length > this.limits.maxBytes) {
      return { type: 'refused', reason: 'split_invalid', detail: `split parts would hold more than ${this.limits.maxBytes} bytes` };
    }
    if (!p) this.pending.set(key, (p = { pnum, parts: new Map(), bytes: 0, firstAt: now }));
    if (!p.parts.has(pno)) {
      p.parts.set(pno, { packet, tag });
      p.bytes += packet.cp.length;
      this.bytes += packet.cp.length;
    }
    if (p.parts.size < pnum) return { type: 'held' };
    this.pending.delete(key);
    this.bytes -= p.bytes;
    const parts = [...p.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    const first = parts[0]!.packet;
    // Each part carries its own CP fields; the message is their union (DataTime from the first that has one).
    const merged: Packet = { ...first, cp: parts.map((x) => x.packet.cp).filter((c) => c !== '').join(';') };
    delete merged.pnum;
    delete merged.pno;
    return { type: 'complete', packet: merged, parts };
  }

  /** Drops messages whose first part is older than the timeout; returns how many parts were dropped. */
  expire(now: number): number {
    let dropped = 0;
    for (const [key, p] of this.pending) {
      if (now - p.firstAt < this.limits.timeoutMs) continue;
      this.pending.delete(key);
      this.bytes -= p.bytes;
      dropped += p.parts.size;
    }
    return dropped;
  }
}
