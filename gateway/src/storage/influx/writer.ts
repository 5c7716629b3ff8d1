// Batched, retried writes of prebuilt line protocol through @influxdata/influxdb-client's
// WriteApi (PERFORMANCE.md: writeRecords of strings costs ~0.5 us a line, Points ~9 us).
//
// InfluxDB 1.x: the WriteApi posts to `/api/v2/write?org=&bucket=`, which only 1.8+
// answers. Its `path` is public and documented as settable after creation, so for 'v1'
// it is pointed at the 1.x endpoint `/write?db=&rp=&precision=ns`; batching, retries,
// back-off and gzip stay the client's. Both endpoints answer 204 on success and 4xx/5xx
// otherwise, which is all the WriteApi looks at.
//
// Nothing is thrown at the caller: write() only queues. Every line ends up counted once,
// as written or failed; failed lines are logged and handed to `onDropped` (the outbox).
import { HttpError, InfluxDB, setLogger, type Transport, type WriteApi, type WriteOptions } from '@influxdata/influxdb-client';
import { InfluxError } from './errors.js';
import { authHeader, baseUrl, isLoopback, redactUrl, silentLogger, targetDatabase, type InfluxConnection, type InfluxLogger } from './http.js';
import { LINE_PRECISION } from './line-protocol.js';

/** Why lines were given up: the server refused them (4xx: bad line, type conflict,
 *  retention), retries ran out (attempts or time), the retry buffer overflowed, or the
 *  writer was closed with them still unsent. */
export type DropReason = 'rejected' | 'retries_exhausted' | 'retry_buffer_full' | 'closed';

export interface InfluxWriterConfig extends InfluxConnection {
  /** Lines per request (default 5,000: PERFORMANCE.md's measured sweet spot). */
  batchSize?: number;
  /** A partly filled batch is sent after this long (default 1,000 ms). */
  flushIntervalMs?: number;
  /** Retries after the first failed attempt of a batch (default 5). */
  maxRetries?: number;
  /** Retrying a batch stops after this long (default 180,000 ms). */
  maxRetryTimeMs?: number;
  /** First retry delay (default 1,000 ms), growing exponentially up to maxRetryDelayMs (default 60,000). */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Lines held for retry; beyond it the oldest are dropped (default 100,000). */
  maxBufferLines?: number;
  /** Bodies larger than this many bytes are gzipped. Default 1,000 (the client's), but never
   *  to a loopback server: there gzip only costs CPU (~1.7 us a line measured, +75%). */
  gzipThreshold?: number;
  logger?: InfluxLogger;
  /** Receives every line given up, once, with the reason (for the durable outbox). Must not throw. */
  onDropped?: (lines: string[], reason: DropReason, error: Error | undefined) => void;
  /** The caller keeps every line durably and resends what is dropped: drops are logged at debug, not as errors. */
  durableCopy?: boolean;
}

export interface InfluxWriterStats {
  /** Lines the server accepted (204). */
  written: number;
  /** Lines given up (see DropReason). */
  failed: number;
  /** Lines queued, in flight or waiting for a retry. */
  pending: number;
}

/** What a flush came to: `dropped` is null when every line since the previous flush was written. */
export interface FlushOutcome {
  dropped: DropReason | null;
}

export interface InfluxWriter {
  /** Queues lines; never throws, never waits. */
  write(lines: readonly string[]): void;
  /**
   * Sends what is queued and waits for every request in flight (not for scheduled retries).
   * Resolves with the first reason lines were dropped since the previous flush, or null.
   */
  flush(): Promise<FlushOutcome>;
  /** Flushes, gives queued retries one last immediate attempt, then drops what is left ('closed'). */
  close(): Promise<void>;
  stats(): InfluxWriterStats;
}

/** The 1.x write endpoint for a connection. */
export function v1WritePath(c: InfluxConnection): string {
  let path = `/write?db=${encodeURIComponent(targetDatabase(c))}`;
  if (c.retentionPolicy !== undefined && c.retentionPolicy !== '') path += `&rp=${encodeURIComponent(c.retentionPolicy)}`;
  return `${path}&precision=${LINE_PRECISION}`;
}

export function createInfluxWriter(cfg: InfluxWriterConfig): InfluxWriter {
  const log = cfg.logger ?? silentLogger;
  const maxRetries = cfg.maxRetries ?? 5;
  const auth = authHeader(cfg);
  if (cfg.api === 'v2' && (cfg.bucket === undefined || cfg.bucket === '')) {
    throw new InfluxError('GW_INFLUX_CONFIG', 'InfluxDB 2.x writes need a bucket');
  }
  const database = targetDatabase(cfg);

  let accepted = 0;
  let written = 0;
  let failed = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  // Batches the client holds for a retry, by identity: it hands the same array back to
  // writeFailed / writeSuccess / writeRetrySkipped, and what is left at close is dropped.
  const retrying = new Set<string[]>();
  const inflight = new Set<Promise<void>>();
  // Batches already counted, so that a callback the client makes twice for one batch
  // (a disagreement with the retry decision below) cannot count it twice.
  const settled = new WeakSet<string[]>();
  let droppedSinceFlush: DropReason | null = null;

  function drop(lines: string[], reason: DropReason, error: Error | undefined): void {
    if (settled.has(lines)) return;
    settled.add(lines);
    failed += lines.length;
    droppedSinceFlush ??= reason;
    const detail = { reason, lines: lines.length, status: error instanceof HttpError ? error.statusCode : undefined, err: short(error) };
    // With a durable copy (the outbox) a batch the client gives up on is sent again later:
    // nothing is lost, so it is no error (a stop used to print hundreds of these).
    if (cfg.durableCopy) log.debug?.(detail, 'InfluxDB batch not written; the outbox keeps it for a later send');
    else log.error(detail, 'InfluxDB lines dropped');
    if (cfg.onDropped) {
      try {
        cfg.onDropped(lines, reason, error);
      } catch (err) {
        log.error({ err: short(err) }, 'onDropped threw');
      }
    }
  }

  const writeOptions: Partial<WriteOptions> = {
    batchSize: cfg.batchSize ?? 5_000,
    flushInterval: cfg.flushIntervalMs ?? 1_000,
    maxRetries,
    maxRetryTime: cfg.maxRetryTimeMs ?? 180_000,
    minRetryDelay: cfg.minRetryDelayMs ?? 1_000,
    maxRetryDelay: cfg.maxRetryDelayMs ?? 60_000,
    maxBufferLines: cfg.maxBufferLines ?? 100_000,
    gzipThreshold: cfg.gzipThreshold ?? (isLoopback(cfg.url) ? Number.MAX_SAFE_INTEGER : 1_000),
    ...(auth === undefined ? {} : { headers: { authorization: auth } }),
    writeFailed(error, lines, attempt, expires) {
      const status = error instanceof HttpError ? error.statusCode : undefined;
      // Mirrors the WriteApi's own decision: it retries transport errors and 429/5xx while
      // attempts remain; a 4xx other than 429 is final, and so is the error it reports,
      // before sending, for a batch whose maxRetryTime is over.
      const expired = status === undefined && expires <= Date.now() && error.message.startsWith('Max retry time exceeded');
      const willRetry = attempt <= maxRetries && !expired && (status === undefined || status >= 429);
      if (willRetry) {
        retrying.add(lines);
        log.warn({ attempt, lines: lines.length, status, err: short(error) }, 'InfluxDB write failed, will retry');
      } else {
        retrying.delete(lines);
        drop(lines, status !== undefined && status < 429 ? 'rejected' : 'retries_exhausted', error);
      }
      return undefined; // let the WriteApi go on with its retry schedule
    },
    writeSuccess(lines) {
      retrying.delete(lines);
      if (settled.has(lines)) return;
      settled.add(lines);
      written += lines.length;
    },
    writeRetrySkipped(entry) {
      retrying.delete(entry.lines);
      drop(entry.lines, 'retry_buffer_full', undefined);
    },
  };

  // The client's transport, wrapped only to know which requests are in flight: the
  // WriteApi's own flush() does not wait for batches it sent when they filled up.
  const base = new InfluxDB({ url: baseUrl(cfg.url), timeout: cfg.timeoutMs ?? 10_000 }).transport;
  const tracking: Transport = {
    send(path, body, options, callbacks) {
      let settle!: () => void;
      const done = new Promise<void>((resolve) => (settle = resolve));
      inflight.add(done);
      void done.then(() => inflight.delete(done));
      base.send(path, body, options, {
        ...callbacks,
        error(err) {
          try {
            callbacks?.error?.(err);
          } finally {
            settle();
          }
        },
        complete() {
          try {
            callbacks?.complete?.();
          } finally {
            settle();
          }
        },
      });
    },
    request: (path, body, options, responseStarted) => base.request(path, body, options, responseStarted),
    iterate: (path, body, options) => base.iterate(path, body, options),
    chunkCombiner: base.chunkCombiner,
  };

  const api: WriteApi = new InfluxDB({ url: baseUrl(cfg.url), transport: tracking }).getWriteApi(
    cfg.org ?? '',
    database,
    LINE_PRECISION,
    writeOptions,
  );
  if (cfg.api === 'v1') api.path = v1WritePath(cfg);
  log.info({ url: redactUrl(cfg.url), api: cfg.api, database, batchSize: writeOptions.batchSize }, 'InfluxDB writer ready');

  async function settleInflight(): Promise<void> {
    while (inflight.size > 0) await Promise.all([...inflight]);
  }

  return {
    write(lines) {
      if (lines.length === 0) return;
      if (closed) {
        drop([...lines], 'closed', undefined);
        return;
      }
      try {
        api.writeRecords(lines as string[]); // copied into the client's batch buffer
        accepted += lines.length;
      } catch (err) {
        drop([...lines], 'closed', err instanceof Error ? err : undefined);
      }
    },

    async flush() {
      try {
        await api.flush(false);
      } catch {
        // already counted and logged by writeFailed
      }
      await settleInflight();
      const dropped = droppedSinceFlush;
      droppedSinceFlush = null;
      return { dropped };
    },

    close() {
      closing ??= (async () => {
        closed = true;
        try {
          await api.flush(true);
        } catch {
          // counted by writeFailed; what is still queued for retry is dropped below
        }
        try {
          await api.close();
        } catch {
          // same
        }
        await settleInflight();
        for (const lines of retrying) drop(lines, 'closed', undefined);
        retrying.clear();
        const lost = accepted - written - failed;
        if (lost > 0) {
          // Should not happen: every line passes writeSuccess, writeFailed or writeRetrySkipped.
          log.error({ lines: lost }, 'InfluxDB writer closed with unaccounted lines');
          failed += lost;
        }
        log.info({ written, failed }, 'InfluxDB writer closed');
      })();
      return closing;
    },

    stats() {
      return { written, failed, pending: accepted - written - failed };
    },
  };
}

function short(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  const msg = err instanceof Error ? err.message : String(err);
  return msg.length > 300 ? `${msg.slice(0, 300)}...` : msg;
}

/**
 * Routes the client library's own log lines (it logs each failed write attempt through a
 * process-wide logger, to the console by default) to the gateway's logger. Process-wide,
 * so the composition root calls it once.
 */
export function routeInfluxClientLog(logger: InfluxLogger): void {
  setLogger({
    error: (message, error) => logger.error({ lib: 'influxdb-client', err: short(error) }, message),
    warn: (message, error) => logger.warn({ lib: 'influxdb-client', err: short(error) }, message),
  });
}
