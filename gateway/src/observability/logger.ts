import { pino, type Logger } from 'pino';

export type { Logger };

// Anything that could carry a credential is censored at the root, so no child logger can leak it.
const REDACT = [
  'password',
  'secret',
  'token',
  '*.password',
  '*.secret',
  '*.token',
  '*.downlinkPassword',
  'req.headers.authorization',
  'headers.authorization',
  'config.INFLUX_TOKEN',
  'config.INFLUX_PASSWORD',
  'config.GATEWAY_API_TOKEN',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'gateway' } };
  return destination ? pino(opts, destination as never) : pino(opts);
}

/** Logs at most once per key per interval: rejected messages from one device must not flood the log. */
export function createRateLimitedLog(intervalMs: number, now: () => number = Date.now) {
  const last = new Map<string, number>();
  let suppressed = 0;
  return {
    shouldLog(key: string): boolean {
      const t = now();
      const prev = last.get(key);
      if (prev !== undefined && t - prev < intervalMs) {
        suppressed++;
        return false;
      }
      last.set(key, t);
      if (last.size > 100_000) last.clear();
      return true;
    },
    suppressed: () => suppressed,
  };
}
