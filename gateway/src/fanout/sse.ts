import type { ServerResponse } from 'node:http';
import type { AppliedTransition } from '../events/index.js';
import type { Counter } from '../observability/index.js';
import { matches, transitionMessage, type SubscriberFilter } from './message.js';

export interface SseLimits {
  /** Bytes a stream may have waiting to be written; past them the client is dropped. */
  maxBufferBytes: number;
  /** How long a stream may stay unable to take more before it is dropped. */
  stallMs: number;
  /** Open streams per user; one more is refused. */
  maxStreamsPerUser: number;
}

export const defaultSseLimits: SseLimits = { maxBufferBytes: 1024 * 1024, stallMs: 30_000, maxStreamsPerUser: 32 };

/** One page of missed transitions read from the database, after the audit sequence `afterSeq`. */
export interface CatchUpPage {
  items: AppliedTransition[];
  /** The last audit sequence number the page covered (transitions or not). */
  lastSeq: number;
  /** More rows may follow. */
  more: boolean;
}

/**
 * How one stream shows audit positions. Callers of every site get the audit seq as `id:` and in
 * the data; a scoped caller gets a sealed id and no seq, which count nothing of other sites.
 */
export interface StreamView {
  /** The SSE `id:` of the transition at this audit position. */
  id(seq: number): string;
  /** Whether the data carries the transition's audit `seq`. */
  seq: boolean;
}

const chainView: StreamView = { id: String, seq: true };

export interface CatchUp {
  after: number;
  page(afterSeq: number, limit: number): CatchUpPage;
  /** At most this many transitions are replayed. */
  max: number;
}

interface SseClient {
  res: ServerResponse;
  filter: SubscriberFilter;
  user: string;
  view: StreamView;
  /** Live transitions that arrived while the catch-up was still being written, in order. */
  pending: AppliedTransition[] | null;
  stall: NodeJS.Timeout | null;
  closed: boolean;
}

const PAGE = 200;
// Live transitions held for a client still catching up; beyond this it is dropped.
const MAX_PENDING = 10_000;

export type SseHub = ReturnType<typeof createSseHub>;

/**
 * Server-Sent Events subscribers. The SSE `id:` is the audit position, as the stream's view shows
 * it (the sequence number, or a sealed id for a scoped caller). Every stream's
 * buffer is bounded: a reader that stops reading is dropped, never buffered without end, and a
 * catch-up is read from the database a page at a time, each page only once the last has gone.
 */
export function createSseHub(opts: { limits?: Partial<SseLimits>; dropped?: Counter } = {}) {
  const limits = { ...defaultSseLimits, ...opts.limits };
  const clients = new Set<SseClient>();
  const perUser = new Map<string, number>();

  function drop(c: SseClient, reason: 'slow_reader' | 'stalled' | 'backlog' | 'user_disabled') {
    if (c.closed) return;
    c.closed = true;
    opts.dropped?.inc({ reason });
    c.res.destroy();
  }

  /**
   * Writes and watches the buffer: a full buffer starts the stall timer; live writes (`capped`)
   * over the cap drop the client. A catch-up instead waits for room after each write.
   */
  function send(c: SseClient, text: string, capped = true) {
    if (c.closed) return;
    const flushed = c.res.write(text);
    if (capped && c.res.writableLength > limits.maxBufferBytes) return drop(c, 'slow_reader');
    if (!flushed && !c.stall) c.stall = setTimeout(() => drop(c, 'stalled'), limits.stallMs);
  }

  // The data of a transition, serialised once for all streams of each kind.
  const data = new WeakMap<AppliedTransition, { withSeq?: string; withoutSeq?: string }>();
  function dataOf(a: AppliedTransition, withSeq: boolean): string {
    let d = data.get(a);
    if (!d) data.set(a, (d = {}));
    if (withSeq) return (d.withSeq ??= JSON.stringify(transitionMessage(a)));
    if (d.withoutSeq) return d.withoutSeq;
    const { seq: _s, ...message } = transitionMessage(a);
    return (d.withoutSeq = JSON.stringify(message));
  }

  function write(c: SseClient, a: AppliedTransition, capped = true) {
    if (matches(c.filter, a)) send(c, `id: ${c.view.id(a.transition.seq)}\nevent: transition\ndata: ${dataOf(a, c.view.seq)}\n\n`, capped);
  }

  /** Resolves once the stream has room again (or is gone). */
  function room(c: SseClient): Promise<void> {
    if (c.closed || !c.res.writableNeedDrain) return new Promise((r) => setImmediate(r));
    return new Promise((r) => {
      const done = () => (c.res.off('drain', done), c.res.off('close', done), r());
      c.res.on('drain', done);
      c.res.on('close', done);
    });
  }

  async function replay(c: SseClient, from: CatchUp) {
    let after = from.after;
    let sent = 0;
    while (!c.closed && sent < from.max) {
      const page = from.page(after, Math.min(PAGE, from.max - sent));
      for (const a of page.items) {
        write(c, a, false);
        // Only as much as the stream's own buffer holds waits in memory; the rest waits in the page.
        if (c.res.writableNeedDrain) await room(c);
        if (c.closed) return;
      }
      sent += page.items.length;
      after = page.lastSeq;
      if (!page.more) break;
      await room(c);
    }
    const pending = c.pending ?? [];
    c.pending = null;
    for (const a of pending) if (a.transition.seq > after) write(c, a);
  }

  return {
    /** False when the user already has as many streams open as allowed. */
    canOpen: (user: string) => (perUser.get(user) ?? 0) < limits.maxStreamsPerUser,

    /** Registers a response; replays what the client missed first, so order holds. */
    add(res: ServerResponse, filter: SubscriberFilter, user: string, catchUp?: CatchUp, view: StreamView = chainView) {
      const c: SseClient = { res, filter, user, view, pending: catchUp ? [] : null, stall: null, closed: false };
      clients.add(c);
      perUser.set(user, (perUser.get(user) ?? 0) + 1);
      res.on('drain', () => {
        if (c.stall) clearTimeout(c.stall);
        c.stall = null;
      });
      // A comment line every 15 s keeps proxies from closing an idle stream.
      const keepalive = setInterval(() => send(c, ': keepalive\n\n'), 15_000);
      keepalive.unref();
      res.on('close', () => {
        c.closed = true;
        clearInterval(keepalive);
        if (c.stall) clearTimeout(c.stall);
        clients.delete(c);
        const n = (perUser.get(user) ?? 1) - 1;
        if (n > 0) perUser.set(user, n);
        else perUser.delete(user);
      });
      if (catchUp) void replay(c, catchUp).catch(() => c.res.destroy());
    },
    dispatch(a: AppliedTransition) {
      for (const c of clients) {
        if (!matches(c.filter, a)) continue;
        if (!c.pending) write(c, a);
        else if (c.pending.push(a) > MAX_PENDING) drop(c, 'backlog');
      }
    },
    /** Ends every stream of a user at once (the account was disabled). */
    closeUser(user: string) {
      for (const c of clients) if (c.user === user) drop(c, 'user_disabled');
    },
    size: () => clients.size,
    closeAll() {
      for (const c of clients) c.res.end();
      clients.clear();
    },
  };
}
