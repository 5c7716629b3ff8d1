// Which API a server speaks, from the version header of GET /ping, which every release
// since 1.0 answers without authentication: 1.x -> 'v1'; 2.x and 3.x -> 'v2'
// (both take /api/v2/write and answer InfluxQL on the 1.x-compatible /query).
import { InfluxError } from './errors.js';
import { baseUrl, describeFetchError, redactUrl, type InfluxApi } from './http.js';

/** 'v1' | 'v2' for a version string such as "1.6.7~rc0", "v2.7.10", "3.0.1"; undefined if unknown. */
export function apiOfVersion(version: string): InfluxApi | undefined {
  const m = /^v?(\d+)\./.exec(version.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  if (major === 1) return 'v1';
  if (major >= 2) return 'v2';
  return undefined;
}

export interface InfluxPing {
  api: InfluxApi;
  /** The X-Influxdb-Version header, e.g. "1.6.7~rc0". */
  version: string;
}

/**
 * Which API the server speaks, or an explicit override, which wins without a request (a
 * proxy may hide the header). Throws InfluxError GW_INFLUX_UNREACHABLE when nothing
 * answers, GW_INFLUX_VERSION when the answer has no usable version.
 */
export async function detectInfluxApi(url: string, override?: InfluxApi): Promise<InfluxApi> {
  if (override !== undefined) return override;
  return (await pingInflux(url)).api;
}

/** GET /ping: the server's version and API, for detection and for the startup log line. */
export async function pingInflux(url: string, timeoutMs = 5_000): Promise<InfluxPing> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl(url)}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new InfluxError(
      'GW_INFLUX_UNREACHABLE',
      `InfluxDB at ${redactUrl(url)} is unreachable (${describeFetchError(err)}); is it running and is the URL right?`,
      { cause: err },
    );
  }
  await res.body?.cancel();
  const version = res.headers.get('x-influxdb-version') ?? undefined;
  const api = version === undefined ? undefined : apiOfVersion(version);
  if (api === undefined || version === undefined) {
    throw new InfluxError(
      'GW_INFLUX_VERSION',
      `${redactUrl(url)}/ping answered HTTP ${res.status} without a usable X-Influxdb-Version header` +
        `${version === undefined ? '' : ` ("${version}")`}; set the API explicitly (v1 or v2)`,
      { status: res.status },
    );
  }
  return { api, version };
}
