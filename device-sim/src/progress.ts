export interface SimStats {
  /** Messages handed to the MQTT client (status messages included). */
  sent: number;
  /** QoS 1 messages acknowledged by the broker (PUBACK). Always 0 with QoS 0. */
  acked: number;
  /** Failed publishes and connection errors other than refusals. */
  errors: number;
  /** Connections made again: automatic reconnects and returns from a silent scenario. */
  reconnects: number;
  /** Devices connected now. */
  connected: number;
  /** Connections the broker refused (bad username or password, not authorised). */
  rejectedConnects: number;
  /** Messages not published because their device was not connected at their turn. */
  skipped: number;
}

export function formatStats(s: SimStats, rate: number): string {
  return (
    `sent ${s.sent} (${rate.toFixed(rate < 10 ? 1 : 0)}/s) acked ${s.acked} errors ${s.errors} ` +
    `reconnects ${s.reconnects} connected ${s.connected} refused ${s.rejectedConnects} skipped ${s.skipped}`
  );
}

export interface ProgressOptions {
  out: NodeJS.WritableStream;
  /** Rewrite one line in place (terminal), or print a line every `everyMs`. */
  tty: boolean;
  everyMs: number;
  stats: () => SimStats;
  now?: () => number;
}

export interface Progress {
  start(): void;
  /** Stops the updates and prints the summary line. */
  stop(summary: string): void;
}

const TTY_REFRESH_MS = 250;

export function createProgress(opts: ProgressOptions): Progress {
  const now = opts.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let lastAt = 0;
  let lastSent = 0;
  let began = 0;
  const line = (): string => {
    const t = now();
    const s = opts.stats();
    const rate = t > lastAt ? ((s.sent - lastSent) * 1000) / (t - lastAt) : 0;
    lastAt = t;
    lastSent = s.sent;
    return formatStats(s, rate);
  };
  const tick = (): void => {
    if (opts.tty) opts.out.write(`\r${line()}\x1b[K`);
    else opts.out.write(`${new Date(now()).toISOString()} ${line()}\n`);
  };
  return {
    start() {
      began = lastAt = now();
      lastSent = opts.stats().sent;
      timer = setInterval(tick, opts.tty ? TTY_REFRESH_MS : opts.everyMs);
      timer.unref();
    },
    stop(summary) {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (began === 0) began = now();
      const s = opts.stats();
      const elapsed = Math.max(1, now() - began);
      const text = `${summary}: ${formatStats(s, (s.sent * 1000) / elapsed)} in ${(elapsed / 1000).toFixed(1)}s`;
      opts.out.write(opts.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    },
  };
}
