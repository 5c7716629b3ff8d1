import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InfluxWriter } from '../influx/index.js';
import type { Journal } from './journal.js';

export interface ForwarderLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ForwarderOptions {
  journal: Journal;
  /**
   * The writer (made with maxRetries 0: a failure comes back at once and the forwarder retries
   * from the journal). Created lazily: InfluxDB may be down when the gateway starts.
   */
  writer: () => Promise<InfluxWriter>;
  dir: string;
  logger: ForwarderLogger;
  /** Bytes read per send (default 1 MiB, about 5,000 lines). */
  chunkBytes?: number;
  /**
   * While healthy, a send waits this long for more lines to gather (default 100 ms), so
   * InfluxDB gets few large batches instead of one request per commit.
   */
  gatherMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export type Forwarder = ReturnType<typeof createForwarder>;

/**
 * Sends the journal to InfluxDB, oldest first, one chunk at a time. A chunk that fails stays
 * in the journal and is retried with backoff while new lines keep being appended behind it;
 * a chunk InfluxDB refuses as malformed (4xx) is set aside in rejected.lp so it cannot block
 * the rest. Sending the same chunk twice is harmless: the same point is stored once.
 */
export function createForwarder(opts: ForwarderOptions) {
  const { journal, logger } = opts;
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  const minBackoff = opts.minBackoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 15_000;
  let running = false;
  let wake: (() => void) | null = null;
  let loop: Promise<void> | null = null;
  let backoff = minBackoff;
  let healthy = true;
  let lastError: string | null = null;
  /** What the last failure threw (or the reason flush gave), logged as `err` so a stack survives. */
  let lastErr: unknown = null;
  let forwarded = 0;
  let rejected = 0;
  let draining = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => ((wake = null), resolve()), ms);
      wake = () => (clearTimeout(t), (wake = null), resolve());
    });

  const gatherMs = opts.gatherMs ?? 100;
  const unsubscribe = journal.onCommit(() => wake?.());

  async function sendOnce(): Promise<'sent' | 'empty' | 'failed'> {
    const chunk = journal.read(journal.cursor(), chunkBytes);
    if (!chunk) return 'empty';
    const writer = await opts.writer();
    writer.write(chunk.lines);
    // One chunk at a time: whatever the flush reports dropped belongs to this chunk.
    const { dropped: drop } = await writer.flush();
    if (drop === 'rejected') {
      // Not retryable: keep the chunk for inspection and move on.
      appendFileSync(join(opts.dir, 'rejected.lp'), chunk.lines.join('\n') + '\n');
      rejected += chunk.lines.length;
      logger.error({ lines: chunk.lines.length, file: join(opts.dir, 'rejected.lp') }, 'InfluxDB refused a chunk as malformed; it was set aside');
    } else if (drop) {
      lastError = drop;
      lastErr = drop;
      return 'failed';
    }
    journal.advance(chunk.next, chunk.lines.length, chunk.bytes);
    forwarded += chunk.lines.length;
    return 'sent';
  }

  async function run() {
    while (running) {
      let result: 'sent' | 'empty' | 'failed';
      try {
        result = await sendOnce();
      } catch (err) {
        lastError = (err as Error).message;
        lastErr = err;
        result = 'failed';
      }
      if (result === 'sent') {
        if (!healthy) logger.info({ backlog: journal.backlog() }, 'InfluxDB answers again; draining the outbox');
        healthy = true;
        backoff = minBackoff;
        continue;
      }
      if (result === 'empty') {
        await sleep(1000);
        // Woken by a commit: let a batch gather before sending (draining skips this wait).
        if (running && !draining && gatherMs > 0) await new Promise((r) => setTimeout(r, gatherMs));
        continue;
      }
      if (healthy) logger.warn({ err: lastErr, backlog: journal.backlog() }, 'InfluxDB write failed; readings stay in the outbox and are retried');
      healthy = false;
      await sleep(backoff);
      backoff = Math.min(maxBackoff, backoff * 2);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Sends what it can until the outbox is empty or the time runs out. */
    async drain(timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      draining = true;
      try {
        while (journal.backlog().points > 0 && Date.now() < deadline) {
          wake?.();
          await new Promise((r) => setTimeout(r, 25));
        }
      } finally {
        draining = false;
      }
      return journal.backlog().points === 0;
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      unsubscribe();
    },
    status: () => ({ healthy, lastError, forwarded, rejected }),
  };
}
