// A real influxd of the test's own: a private server in a fresh temp folder, its database
// created, and a query helper. stop() ends the server and removes the folder.
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
  url: string;
  database: string;
  /** The server itself, for restart()/kill() in outage tests. */
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
  const q = createInfluxQuery({ url: server.url, api: 'v1', database });
  return {
    url: server.url,
    database,
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
