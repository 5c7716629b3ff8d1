// Runs simulated HJ 212 loggers against a gateway over TCP: each logger on its own connection,
// frames in time order, each answered 9014 counted. Virtual time starts `backfill` ago and runs
// as fast as the gateway answers until it reaches the present, then follows the wall clock.
import { connect, type Socket } from 'node:net';
import { Framer, parsePacket } from '../../../gateway/src/protocol/index.js';
import { framesBetween, type SimLoggerSpec, type TimedFrame } from './frames.js';

export interface Hj212RunOptions {
  host: string;
  port: number;
  loggers: SimLoggerSpec[];
  seed: string;
  intervalMs: number;
  /** Start this far in the past (buffered history); 0 starts now. */
  backfillMs: number;
  /** Stop after this much virtual time; absent: until stop(). */
  durationMs?: number;
  /** The `outage` scenario: silent from `at` for `for` (after the start), then re-sends. */
  outage: { atMs: number; forMs: number };
  /** How long to wait for a 9014 before sending the next frame anyway. */
  ackTimeoutMs: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface Hj212Stats {
  sent: number;
  acked: number;
  resent: number;
}

interface Link {
  socket: Socket;
  waiting: Map<string, () => void>;
  closed: boolean;
}

function open(host: string, port: number, onAck: () => void): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const link: Link = { socket, waiting: new Map(), closed: false };
    const framer = new Framer(4096);
    socket.once('connect', () => resolve(link));
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      for (const o of framer.push(chunk)) {
        if (o.type !== 'frame') continue;
        const p = parsePacket(o.frame.data.toString('latin1'));
        if (p.ok && p.packet.cn === '9014' && p.packet.qn) {
          onAck();
          link.waiting.get(p.packet.qn)?.();
        }
      }
    });
    socket.on('close', () => {
      link.closed = true;
      for (const w of link.waiting.values()) w();
    });
  });
}

const qnOf = (text: string) => /QN=(\d+);/.exec(text)?.[1] ?? '';

export function runHj212(opts: Hj212RunOptions) {
  const now = opts.now ?? Date.now;
  const stats: Hj212Stats = { sent: 0, acked: 0, resent: 0 };
  let stopped = false;
  const wakers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakers.delete(done);
        r();
      }
      wakers.add(done);
    });

  const onAck = () => void stats.acked++;

  async function send(link: Link, f: TimedFrame): Promise<boolean> {
    const qn = qnOf(f.text);
    // A part of a split message before its last is not answered until the message is whole.
    const part = /PNUM=(\d+);PNO=(\d+);/.exec(f.text);
    if (part && part[1] !== part[2]) {
      link.socket.write(f.text, 'latin1');
      stats.sent++;
      return true;
    }
    const acked = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => (link.waiting.delete(qn), resolve(false)), opts.ackTimeoutMs);
      link.waiting.set(qn, () => (clearTimeout(timer), link.waiting.delete(qn), resolve(!link.closed)));
    });
    link.socket.write(f.text, 'latin1');
    stats.sent++;
    return acked;
  }

  async function runLogger(logger: SimLoggerSpec): Promise<void> {
    const start = now() - opts.backfillMs;
    const end = opts.durationMs === undefined ? Infinity : start + opts.durationMs;
    const outage = logger.scenarios.has('outage') ? { from: start + opts.outage.atMs, to: start + opts.outage.atMs + opts.outage.forMs } : null;
    let link = await open(opts.host, opts.port, onAck);
    let cursor = start;
    const buffered: TimedFrame[] = [];
    while (!stopped && cursor < end) {
      // Virtual time catches up with the wall clock, then keeps pace with it.
      const target = Math.min(end, cursor + opts.intervalMs);
      if (target > now()) await sleep(target - now());
      if (stopped) break;
      const frames = framesBetween(opts.seed, logger, cursor, target, opts.intervalMs);
      cursor = target;
      const silent = outage !== null && cursor >= outage.from && cursor < outage.to;
      if (silent) {
        // The link is down: the logger keeps its data to send when it is back.
        if (!link.closed) {
          link.socket.destroy();
          link.closed = true;
        }
        buffered.push(...frames);
        continue;
      }
      if (link.closed) {
        link = await open(opts.host, opts.port, onAck);
        if (buffered.length) opts.log?.(`[hj212] ${logger.id}: link back, re-sending ${buffered.length} buffered frames`);
        for (const f of buffered.splice(0)) {
          stats.resent++;
          await send(link, f);
        }
      }
      // A frame not answered because the link dropped is kept for the next re-send.
      for (const f of frames) if (!stopped && !(await send(link, f)) && link.closed) buffered.push(f);
    }
    link.socket.end();
  }

  const done = Promise.all(opts.loggers.map((l) => runLogger(l))).then(() => stats);
  return {
    done,
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      for (const w of [...wakers]) w();
      await done.catch(() => undefined);
    },
  };
}
