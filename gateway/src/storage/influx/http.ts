// What the writer, the query client and version detection share about talking to a server.
import { InfluxError } from './errors.js';

export type InfluxApi = 'v1' | 'v2';

/** Where the server is and who we are. v1: database/retentionPolicy/username/password; v2: org/bucket/token. */
export interface InfluxConnection {
  url: string;
  api: InfluxApi;
  token?: string;
  org?: string;
  bucket?: string;
  database?: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  /** Per-request timeout, ms (default 10,000 for writes, 30,000 for queries). */
  timeoutMs?: number;
}

/** pino-compatible: object first, message second (STYLE.md); only these three are used. */
export interface InfluxLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export const silentLogger: InfluxLogger = { info() {}, warn() {}, error() {} };

/**
 * The base URL requests are built on: no trailing slash and no user info (fetch refuses
 * URLs with credentials, and its errors would quote them); see authHeader for those.
 */
export function baseUrl(url: string): string {
  let out = url;
  try {
    const u = new URL(url);
    if (u.username !== '' || u.password !== '') {
      u.username = '';
      u.password = '';
      out = u.toString();
    }
  } catch {
    // left as given: the request will fail with a clear error
  }
  return out.endsWith('/') ? out.slice(0, -1) : out;
}

/** user:password given in the URL itself (http://user:pass@host:8086), decoded. */
function urlCredentials(url: string): { username: string; password: string } | undefined {
  try {
    const u = new URL(url);
    if (u.username === '') return undefined;
    return { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  } catch {
    return undefined;
  }
}

/** The URL as it may appear in a log line or error: no user info, no query string. */
/** An InfluxDB on this machine (the private influxd, a local one): compression there only costs. */
export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/**
 * The Authorization header, if any. 2.x/3.x: `Token <token>`. 1.x: Basic with
 * username/password (1.6 knows no Token scheme); a token alone is sent as `Token`
 * (1.8+ reads it as `user:password`). Credentials in the URL count as username/password.
 */
export function authHeader(c: InfluxConnection): string | undefined {
  const creds = c.username !== undefined ? { username: c.username, password: c.password ?? '' } : urlCredentials(c.url);
  if (c.api === 'v1' && creds !== undefined) {
    return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  }
  if (c.token !== undefined && c.token !== '') return `Token ${c.token}`;
  return undefined;
}

/** The database the 1.x-style endpoints (/write, /query) address: the bucket on 2.x. */
export function targetDatabase(c: InfluxConnection): string {
  const db = c.api === 'v2' ? (c.bucket ?? c.database) : (c.database ?? c.bucket);
  if (db === undefined || db === '') {
    throw new InfluxError('GW_INFLUX_CONFIG', c.api === 'v2' ? 'InfluxDB 2.x needs a bucket' : 'InfluxDB 1.x needs a database');
  }
  return db;
}

/** The message of a fetch failure, with the cause node gives (ECONNREFUSED...) when there is one. */
export function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'request timed out';
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return err.message;
}
