import { join } from 'node:path';
import type { ReadingPoint, ReadingsQuery, ReadingsSource } from './api/index.js';
import type { GatewayConfig } from './config.js';
import type { Detection, DeviceRef, Reading } from './domain/index.js';
import type { AppliedTransition } from './events/index.js';
import type { Logger } from './observability/index.js';
import {
  InfluxdNotFound,
  createInfluxQuery,
  createInfluxWriter,
  detectInfluxApi,
  detectionLines,
  ensureDatabase,
  eventLine,
  escapeName,
  nanos,
  quoteIdent,
  routeInfluxClientLog,
  startPrivateInfluxd,
  telemetryLine,
  type InfluxConnection,
} from './storage/index.js';

/** The time-series side of the gateway: InfluxDB when there is one, a no-op otherwise. */
export interface History extends ReadingsSource {
  enabled: boolean;
  url: string | null;
  /** `maintenance`: the readings fall inside a maintenance window and are marked so. */
  writeReadings(readings: Reading[], maintenance?: boolean): void;
  writeStatus(device: DeviceRef, online: boolean, rejected: number, at: number): void;
  writeDetections(detections: Detection[]): void;
  writeTransition(applied: AppliedTransition): void;
  flush(): Promise<void>;
  ping(): Promise<boolean>;
  stats(): { written: number; failed: number; pending: number };
  close(): Promise<void>;
}

function disabled(): History {
  return {
    enabled: false,
    url: null,
    writeReadings() {},
    writeStatus() {},
    writeDetections() {},
    writeTransition() {},
    async flush() {},
    async ping() {
      return false;
    },
    stats: () => ({ written: 0, failed: 0, pending: 0 }),
    async readings() {
      return [];
    },
    async close() {},
  };
}

export async function createHistory(config: GatewayConfig, dataDir: string, logger: Logger): Promise<History> {
  const log = logger.child({ module: 'history' });
  let url = config.INFLUX_URL;
  let privateInfluxd: Awaited<ReturnType<typeof startPrivateInfluxd>> | undefined;
  if (!url) {
    try {
      privateInfluxd = await startPrivateInfluxd({ dataDir: join(dataDir, 'influxdb'), database: config.INFLUX_DATABASE, logger: log });
      url = privateInfluxd.url;
      log.info({ url }, 'started a private influxd (INFLUX_URL is unset)');
    } catch (err) {
      if (err instanceof InfluxdNotFound) {
        log.warn('time-series history is off: INFLUX_URL is unset and no influxd is on PATH (events still live in the state database)');
        return disabled();
      }
      throw err;
    }
  }
  const api = await detectInfluxApi(url, config.INFLUX_API);
  const conn: InfluxConnection = {
    url,
    api,
    token: config.INFLUX_TOKEN,
    org: config.INFLUX_ORG,
    bucket: config.INFLUX_BUCKET,
    database: config.INFLUX_DATABASE,
    retentionPolicy: config.INFLUX_RETENTION_POLICY,
    username: config.INFLUX_USERNAME,
    password: config.INFLUX_PASSWORD,
  };
  if (api === 'v1') await ensureDatabase(conn);
  routeInfluxClientLog(log);
  const writer = createInfluxWriter({ ...conn, logger: log });
  const query = createInfluxQuery(conn);
  log.info({ url, api, database: api === 'v1' ? conn.database : conn.bucket }, 'writing history to InfluxDB');

  return {
    enabled: true,
    url,
    writeReadings(readings, maintenance) {
      const line = telemetryLine(readings);
      // The timestamp is always the last space-separated part of a line; the mark goes before it.
      const cut = line.lastIndexOf(' ');
      writer.write([maintenance ? `${line.slice(0, cut)},maintenance=true${line.slice(cut)}` : line]);
    },
    writeStatus(d, online, rejected, at) {
      writer.write([
        `device_status,device=${escapeName(d.device)},sector=${escapeName(d.sector)},site=${escapeName(d.site)} online=${online ? 1 : 0}i,rejected=${rejected}i ${nanos(at)}`,
      ]);
    },
    writeDetections(detections) {
      if (detections.length) writer.write(detectionLines(detections));
    },
    writeTransition({ event, transition }) {
      writer.write([
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
        }),
      ]);
    },
    flush: () => writer.flush(),
    async ping() {
      try {
        const res = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(2000) });
        return res.status === 204 || res.ok;
      } catch {
        return false;
      }
    },
    stats: () => writer.stats(),
    async readings(q: ReadingsQuery) {
      // The metric is a field name (a strict pattern checked at the edge) and cannot be a bound
      // parameter; it is quoted as an identifier. Every other value is bound.
      const params: Record<string, string> = { site: q.site };
      let where = `"site" = $site`;
      if (q.device) {
        where += ` AND "device" = $device`;
        params.device = q.device;
      }
      const sql = `SELECT ${quoteIdent(q.metric)} FROM "telemetry" WHERE ${where} AND time >= ${Math.trunc(q.since)}ms AND time <= ${Math.trunc(q.until)}ms GROUP BY "device" ORDER BY time ASC LIMIT ${q.limit}`;
      const [result] = await query.query(sql, params);
      return (result?.series ?? []).map((s) => ({
        device: s.tags?.device ?? '',
        points: s.values
          .map((v): ReadingPoint => ({ time: Number(v[0]), value: v[1] === null ? null : Number(v[1]) }))
          .filter((p) => p.value !== null),
      }));
    },
    async close() {
      await writer.close();
      await privateInfluxd?.stop();
    },
  };
}
