// InfluxQL over HTTP /query, which 1.x answers natively and 2.x/3.x through their
// 1.x-compatibility API (db = bucket, `Authorization: Token`). Values reach the server
// only as bound parameters (`$name` in the statement, `params=` JSON beside it), never
// spliced into the text; identifiers, which cannot be bound, go through quoteIdent().
import { InfluxError, InfluxQueryError } from './errors.js';
import { authHeader, baseUrl, describeFetchError, isLoopback, redactUrl, targetDatabase, type InfluxConnection } from './http.js';

export type QueryParams = Record<string, string | number>;

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** The answer to one statement of the query string. */
export interface InfluxStatementResult {
  statementId: number;
  series: InfluxSeries[];
}

export interface QueryOptions {
  /** Time unit of returned timestamps (default 'ms'). */
  epoch?: 'ns' | 'u' | 'ms' | 's';
  /** Overrides the connection's database / bucket; null sends none (SHOW DATABASES). */
  database?: string | null;
  signal?: AbortSignal;
}

export interface InfluxQuery {
  /**
   * Runs the statements and returns one result per statement. Throws InfluxQueryError
   * (GW_INFLUX_QUERY) when the server refuses the query or a statement, InfluxError
   * GW_INFLUX_UNREACHABLE / GW_INFLUX_HTTP when it cannot be asked.
   */
  query(influxql: string, params?: QueryParams, opts?: QueryOptions): Promise<InfluxStatementResult[]>;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An InfluxQL identifier (measurement, field, tag key, database), double-quoted and escaped. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Rows of a series as objects keyed by column, tags merged in. */
export function seriesRows(s: InfluxSeries): Record<string, unknown>[] {
  return s.values.map((row) => {
    const obj: Record<string, unknown> = { ...s.tags };
    s.columns.forEach((c, i) => (obj[c] = row[i]));
    return obj;
  });
}

interface RawStatement {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}

export function createInfluxQuery(cfg: InfluxConnection): InfluxQuery {
  const url = `${baseUrl(cfg.url)}/query`;
  const auth = authHeader(cfg);
  const defaultDb = (): string => targetDatabase(cfg);
  const timeoutMs = cfg.timeoutMs ?? 30_000;
  // fetch asks for gzip by default. From a loopback server it saves nothing and costs an
  // inflater per answer: the start-up risk pass (one query a site) left ~2 MB of native heap
  // behind with 100 sites.
  const encoding = isLoopback(cfg.url) ? 'identity' : undefined;

  return {
    async query(influxql, params, opts = {}) {
      const form = new URLSearchParams({ q: influxql, epoch: opts.epoch ?? 'ms' });
      const db = opts.database === undefined ? defaultDb() : opts.database;
      if (db !== null) form.set('db', db);
      if (cfg.api === 'v1' && cfg.retentionPolicy) form.set('rp', cfg.retentionPolicy);
      if (params !== undefined && Object.keys(params).length > 0) {
        for (const [name, value] of Object.entries(params)) {
          if (!PARAM_NAME.test(name)) throw new InfluxQueryError(`bad bound parameter name ${JSON.stringify(name)}`);
          if (typeof value === 'number' && !Number.isFinite(value)) {
            throw new InfluxQueryError(`bound parameter $${name} is not a finite number`);
          }
        }
        form.set('params', JSON.stringify(params));
      }
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      };
      if (auth !== undefined) headers.authorization = auth;
      if (encoding !== undefined) headers['accept-encoding'] = encoding;
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);

      let res: Response;
      let text: string;
      try {
        // POST for every statement: 1.x refuses CREATE/DROP over GET, and a form body
        // keeps long queries out of URLs and access logs.
        res = await fetch(url, { method: 'POST', headers, body: form, signal });
        text = await res.text();
      } catch (err) {
        throw new InfluxError('GW_INFLUX_UNREACHABLE', `InfluxDB query to ${redactUrl(cfg.url)} failed: ${describeFetchError(err)}`, {
          cause: err,
        });
      }
      let body: { results?: RawStatement[]; error?: string } | undefined;
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = undefined;
      }
      if (!res.ok) {
        const why = body?.error ?? text.slice(0, 300);
        if (res.status === 400) throw new InfluxQueryError(why, { status: 400 });
        throw new InfluxError('GW_INFLUX_HTTP', `InfluxDB query answered HTTP ${res.status}: ${why}`, { status: res.status });
      }
      if (body === undefined || !Array.isArray(body.results)) {
        if (body?.error !== undefined) throw new InfluxQueryError(body.error, { status: res.status });
        throw new InfluxError('GW_INFLUX_HTTP', `InfluxDB query answer is not InfluxQL JSON: ${text.slice(0, 200)}`, {
          status: res.status,
        });
      }
      return body.results.map((r, i) => {
        if (r.error !== undefined) throw new InfluxQueryError(r.error, { status: res.status, statement: r.statement_id ?? i });
        return { statementId: r.statement_id ?? i, series: r.series ?? [] };
      });
    },
  };
}

/**
 * Makes sure the target exists at startup. 1.x: CREATE DATABASE (idempotent). 2.x/3.x:
 * buckets are provisioned with the server (docker-compose sets DOCKER_INFLUXDB_INIT_BUCKET),
 * so this only checks that InfluxQL can address it.
 */
export async function ensureDatabase(cfg: InfluxConnection): Promise<void> {
  const q = createInfluxQuery(cfg);
  if (cfg.api === 'v1') {
    await q.query(`CREATE DATABASE ${quoteIdent(targetDatabase(cfg))}`, undefined, { database: null });
    return;
  }
  try {
    await q.query('SHOW MEASUREMENTS LIMIT 1');
  } catch (err) {
    if (!(err instanceof InfluxQueryError)) throw err;
    throw new InfluxQueryError(
      `bucket ${JSON.stringify(targetDatabase(cfg))} cannot be queried with InfluxQL (${err.message}); ` +
        'create it, or map it with a DBRP mapping, and check the token can read it',
      { status: err.status },
    );
  }
}
