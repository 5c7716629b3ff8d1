// Errors of the InfluxDB layer: each has a stable code (STYLE.md, after fastify's lib/errors.js)
// so callers and logs can tell "server down" from "bad query" without parsing messages.

export type InfluxErrorCode =
  | 'GW_INFLUX_UNREACHABLE'
  | 'GW_INFLUX_HTTP'
  | 'GW_INFLUX_QUERY'
  | 'GW_INFLUX_VERSION'
  | 'GW_INFLUX_CONFIG'
  | 'GW_INFLUXD_NOT_FOUND'
  | 'GW_INFLUXD_START';

export class InfluxError extends Error {
  readonly code: InfluxErrorCode;
  /** HTTP status when the server answered. */
  readonly status: number | undefined;

  constructor(code: InfluxErrorCode, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'InfluxError';
    this.code = code;
    this.status = opts.status;
  }
}

/** A statement of a query failed (bad InfluxQL, unknown database...): the server said why. */
export class InfluxQueryError extends InfluxError {
  /** Index of the failing statement in the query string. */
  readonly statement: number | undefined;

  constructor(message: string, opts: { status?: number; statement?: number } = {}) {
    super('GW_INFLUX_QUERY', message, opts);
    this.name = 'InfluxQueryError';
    this.statement = opts.statement;
  }
}

/** No `influxd` binary on PATH (or where INFLUXD_BIN points). */
export class InfluxdNotFound extends InfluxError {
  constructor(message: string) {
    super('GW_INFLUXD_NOT_FOUND', message);
    this.name = 'InfluxdNotFound';
  }
}
