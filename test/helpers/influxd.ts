// A real influxd of the test's own: a private server in a fresh temp folder, with
// authentication on (as the gateway runs its own), its database created, and a query helper.
// stop() ends the server and removes the folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createInfluxQuery,
  startPrivateInfluxd,
  type InfluxStatementResult,
  type PrivateInfluxd,
  type QueryOptions,
  type QueryParams,
} from '../../gateway/src/storage/influx/index.js';

export interface TestInfluxd {
  /**
   * http://<user>:<password>@127.0.0.1:<port>: what INFLUX_URL or a client needs, credentials
   * included (the gateway reads them from the URL and never logs them). fetch() refuses
   * such a URL: raw requests use `server.url` with `headers`.
   */
  url: string;
  database: string;
  /** The Authorization header of the admin user, for raw fetch() calls to `server.url`. */
  headers: { authorization: string };
  /** The server itself (`server.url` has no credentials), for restart()/kill() in outage tests. */
  server: PrivateInfluxd;
  query(influxql: string, params?: QueryParams, opts?: QueryOptions): Promise<InfluxStatementResult[]>;
  stop(): Promise<void>;
}

export async function startTestInfluxd(database = 'gateway_test'): Promise<TestInfluxd> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gw-influxd-'));
  let server: PrivateInfluxd;
  try {
    server = await startPrivateInfluxd({ dataDir, database });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { username, password } = server.credentials;
  const url = new URL(server.url);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  const q = createInfluxQuery({ url: server.url, api: 'v1', database, username, password });
  return {
    url: url.toString().replace(/\/$/, ''),
    database,
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    server,
    query: (influxql, params, opts) => q.query(influxql, params, opts),
    async stop() {
      try {
        await server.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}
