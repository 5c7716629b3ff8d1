import { join } from 'node:path';
import type { ReadingPoint, ReadingsQuery, ReadingsSource } from './api/index.js';
import type { GatewayConfig } from './config.js';
import type { Detection, DeviceRef, Reading } from './domain/index.js';
import type { AppliedTransition } from './events/index.js';
import type { Logger } from './observability/index.js';
import {
  InfluxdNotFound,
  createForwarder,
  createInfluxQuery,
  createInfluxWriter,
  detectInfluxApi,
  detectionLines,
  ensureDatabase,
  eventLine,
  openJournal,
  redactUrl,
  routeInfluxClientLog,
  startPrivateInfluxd,
  createTelemetryLines,
  type Backlog,
  type DropReason,
  type InfluxConnection,
  type InfluxQuery,
  type InfluxStatementResult,
  type InfluxWriter,
  markMaintenance,
  readingsQuery,
  statusLine,
} from './storage/index.js';

/** The time-series side of the gateway: InfluxDB through the durable outbox, or off. */
export interface History extends ReadingsSource {
  enabled: boolean;
  /** Where InfluxDB is, as configured (it may carry user info: log redactUrl(url) only). */
  url: string | null;
  /** Who the gateway is to InfluxDB: INFLUX_USERNAME/PASSWORD, or the private influxd's admin. */
  credentials: { username?: string; password?: string };
  /**
   * Each write resolves once its lines are durable in the outbox (fdatasync), which is when
   * a device's QoS 1 publish may be acknowledged. `maintenance` marks readings in a window.
   */
  writeReadings(readings: Reading[], maintenance?: boolean): Promise<void>;
  writeDetections(detections: Detection[]): Promise<void>;
  writeStatus(device: DeviceRef, online: boolean, rejected: number, at: number): Promise<void>;
  writeTransition(applied: AppliedTransition): Promise<void>;
  /** Other measurements (the risk history): line protocol through the same outbox. */
  writeLines(lines: string[]): Promise<void>;
  /** An InfluxQL read with bound parameters; [] when history is off. */
  query(influxql: string, params?: Record<string, string | number>): Promise<InfluxStatementResult[]>;
  backlog(): Backlog;
  /** Outbox bytes appended so far (grows at once on each write); minus backlog().bytes, those forwarded. */
  appended(): number;
  /** backlog().bytes, without building the object (asked for every message). */
  waitingBytes(): number;
  forwarding(): { healthy: boolean; lastError: string | null; forwarded: number; rejected: number };
  /** Sends the outbox until empty or the time runs out; true when empty. */
  flush(timeoutMs?: number): Promise<boolean>;
  ping(): Promise<boolean>;
  stats(): { written: number; failed: number; pending: number };
  close(drainMs?: number): Promise<Backlog>;
}

const EMPTY: Backlog = { points: 0, bytes: 0, oldestAt: null };

function disabled(): History {
  const done = Promise.resolve();
  return {
    enabled: false,
    url: null,
    credentials: {},
    writeReadings: () => done,
    writeDetections: () => done,
    writeStatus: () => done,
    writeTransition: () => done,
    writeLines: () => done,
    query: async () => [],
    backlog: () => EMPTY,
    appended: () => 0,
    waitingBytes: () => 0,
    forwarding: () => ({ healthy: true, lastError: null, forwarded: 0, rejected: 0 }),
    flush: async () => true,
    ping: async () => false,
    stats: () => ({ written: 0, failed: 0, pending: 0 }),
    readings: async () => [],
    close: async () => EMPTY,
  };
}

export async function createHistory(config: GatewayConfig, dataDir: string, log: Logger): Promise<History> {
  let url = config.INFLUX_URL;
  let privateInfluxd: Awaited<ReturnType<typeof startPrivateInfluxd>> | undefined;
  if (!url) {
    try {
      privateInfluxd = await startPrivateInfluxd({ dataDir: join(dataDir, 'influxdb'), database: config.INFLUX_DATABASE, logger: log });
      url = privateInfluxd.url;
      log.info({ url }, 'started a private influxd with authentication (INFLUX_URL is unset)');
    } catch (err) {
      if (err instanceof InfluxdNotFound) {
        log.warn('time-series history is off: INFLUX_URL is unset and no influxd is on PATH (events still live in the state database)');
        return disabled();
      }
      throw err;
    }
  }
  const influxUrl = url;
  const shownUrl = redactUrl(influxUrl);
  // fetch refuses a URL with user info; /ping needs no credentials anyway.
  const pingUrl = new URL('/ping', influxUrl);
  pingUrl.username = '';
  pingUrl.password = '';
  const credentials = privateInfluxd?.credentials ?? { username: config.INFLUX_USERNAME, password: config.INFLUX_PASSWORD };
  routeInfluxClientLog(log);
  const outboxDir = join(dataDir, 'outbox');
  const journal = await openJournal(outboxDir);
  // Offsets that keep messages of one device in one millisecond apart (storage/influx/point-times.ts).
  const telemetryLine = createTelemetryLines();

  // InfluxDB may be down when the gateway starts: the connection is made on first need and
  // retried by the forwarder, while readings keep going into the outbox.
  let connected: Promise<{ writer: InfluxWriter; query: InfluxQuery }> | undefined;
  function connect() {
    connected ??= (async () => {
      const api = await detectInfluxApi(influxUrl, config.INFLUX_API);
      const conn: InfluxConnection = {
        url: influxUrl,
        api,
        token: config.INFLUX_TOKEN,
        org: config.INFLUX_ORG,
        bucket: config.INFLUX_BUCKET,
        database: config.INFLUX_DATABASE,
        retentionPolicy: config.INFLUX_RETENTION_POLICY,
        ...credentials,
      };
      if (api === 'v1') await ensureDatabase(conn);
      const writer = createInfluxWriter({ ...conn, logger: log, maxRetries: 0, flushIntervalMs: 60_000, timeoutMs: config.INFLUX_TIMEOUT, durableCopy: true });
      log.info({ url: shownUrl, api, database: api === 'v1' ? conn.database : conn.bucket }, 'writing history to InfluxDB');
      return { writer, query: createInfluxQuery(conn) };
    })().catch((err) => {
      connected = undefined;
      throw err;
    });
    return connected;
  }
  const forwarder = createForwarder({ journal, writer: async () => (await connect()).writer, dir: outboxDir, logger: log });
  forwarder.start();
  connect().catch((err) => log.warn({ err, url: shownUrl }, 'InfluxDB is not reachable yet; readings wait in the outbox'));

  return {
    enabled: true,
    url: influxUrl,
    credentials,
    writeReadings(readings, maintenance) {
      const line = telemetryLine(readings);
      return journal.append([maintenance ? markMaintenance(line) : line]);
    },
    writeDetections(detections) {
      return journal.append(detectionLines(detections));
    },
    writeStatus(d, online, rejected, at) {
      return journal.append([statusLine(d, online, rejected, at)]);
    },
    writeTransition({ event, transition }) {
      return journal.append([
        eventLine({
          eventId: event.id,
          site: event.site,
          device: event.device,
          rule: event.rule,
          item: event.item,
          severity: transition.severity,
          transition: transition.type,
          value: transition.value,
          threshold: event.threshold,
          message: transition.note ?? event.message,
          at: transition.at,
          raisedAt: event.raisedAt,
          detectedAt: transition.detectedAt,
          late: event.late,
        }),
      ]);
    },
    writeLines: (lines) => journal.append(lines),
    query: async (influxql, params) => (await connect()).query.query(influxql, params),
    backlog: () => journal.backlog(),
    appended: () => journal.appended(),
    waitingBytes: () => journal.waitingBytes(),
    forwarding: () => forwarder.status(),
    flush: (timeoutMs = 10_000) => forwarder.drain(timeoutMs),
    async ping() {
      try {
        const res = await fetch(pingUrl, { signal: AbortSignal.timeout(2000) });
        return res.status === 204 || res.ok;
      } catch {
        return false;
      }
    },
    stats: () => {
      const s = forwarder.status();
      return { written: s.forwarded, failed: s.rejected, pending: journal.backlog().points };
    },
    async readings(q: ReadingsQuery) {
      const { query } = await connect();
      const { sql, params } = readingsQuery(q);
      const [result] = await query.query(sql, params);
      return (result?.series ?? []).map((s) => ({
        device: s.tags?.device ?? '',
        points: s.values
          .map((v): ReadingPoint => ({ time: Number(v[0]), value: v[1] === null ? null : Number(v[1]) }))
          .filter((p) => p.value !== null),
      }));
    },
    async close(drainMs = 5000) {
      await forwarder.drain(drainMs);
      await forwarder.stop();
      await journal.close();
      if (connected) await (await connected.catch(() => undefined))?.writer.close();
      await privateInfluxd?.stop();
      return journal.backlog();
    },
  };
}
