// The InfluxDB layer against a real influxd 1.x started by the test (ARCHITECTURE.md:
// no mock of InfluxDB in integration tests).
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createInfluxQuery,
  createInfluxWriter,
  detectInfluxApi,
  detectionLines,
  eventLine,
  InfluxQueryError,
  pingInflux,
  routeInfluxClientLog,
  seriesRows,
  telemetryLine,
  type DropReason,
  type InfluxLogger,
  type InfluxStatementResult,
  type InfluxWriter,
  type TelemetryReading,
} from '../../gateway/src/storage/influx/index.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

const TS = 1_764_000_000_000;

const logs: { level: string; obj: object; msg?: string }[] = [];
const logger: InfluxLogger = {
  info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logs.push({ level: 'error', obj, msg }),
};
routeInfluxClientLog(logger);

function reading(device: string, metric: string, value: number, extra: Partial<TelemetryReading> = {}): TelemetryReading {
  return { site: 'site-1', device, sector: 'hazardous_chemicals', metric, value, ts: TS, skewed: false, valid: true, ...extra };
}

function scalar(results: InfluxStatementResult[]): unknown {
  return results[0]?.series[0]?.values[0]?.[1];
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let influx: TestInfluxd;
const writers: InfluxWriter[] = [];

function writer(extra: Partial<Parameters<typeof createInfluxWriter>[0]> = {}): InfluxWriter {
  const w = createInfluxWriter({ url: influx.url, api: 'v1', database: influx.database, flushIntervalMs: 50, logger, ...extra });
  writers.push(w);
  return w;
}

beforeAll(async () => {
  influx = await startTestInfluxd();
});

afterAll(async () => {
  await Promise.all(writers.map((w) => w.close()));
  await influx?.stop();
});

describe('version detection', () => {
  it('reads a 1.x server from the version header of /ping', async () => {
    expect(await detectInfluxApi(influx.url)).toBe('v1');
    expect((await pingInflux(influx.url)).version).toMatch(/^1\./);
  });
});

describe('writer and query client', () => {
  const telemetry = [
    telemetryLine([reading('tank.1', 'level', 71.5), reading('tank.1', 'gas_lel', 3, { valid: false, flag: 'D' })]),
    telemetryLine([reading('tank.1', 'level', 72.25, { ts: TS + 1_000 })]),
    telemetryLine([reading('tank.2', 'level', 10, { skewed: true }), reading('tank.2', 'flow', 1e21), reading('tank.2', 'nox', 1e-7)]),
  ];
  const detections = detectionLines([
    { site: 'site-1', device: 'nvr-1', camera: 'cam_1', type: 'no_helmet', confidence: 0.9, ts: TS },
    { site: 'site-1', device: 'nvr-1', camera: 'cam_1', type: 'no_helmet', confidence: 0.8, ts: TS, snapshot: 'snaps/a "b".jpg' },
    { site: 'site-1', device: 'nvr-1', camera: 'cam_1', type: 'smoking', confidence: 0.7, ts: TS },
  ]);
  const events = [
    eventLine({
      eventId: 'ev-1',
      site: 'site-1',
      device: 'tank.1',
      rule: 'lel-high',
      item: 'gas_leak',
      severity: 'critical',
      transition: 'open',
      value: 27.5,
      threshold: 25,
      message: 'LEL "high"\nsee tank.1 \\ north',
      at: TS,
      raisedAt: TS,
      detectedAt: TS,
      late: false,
    }),
    eventLine({
      eventId: 'ev-2',
      site: 'north site,A=1',
      device: 'tank.1',
      rule: 'deadman',
      item: 'offline',
      severity: 'warning',
      transition: 'open',
      value: 0,
      threshold: null,
      message: 'no data',
      at: TS,
      raisedAt: TS,
      detectedAt: TS + 7_200_000,
      late: true,
    }),
  ];
  const all = [...telemetry, ...detections, ...events];

  it('writes telemetry, detection and event lines and reads them back with bound parameters', async () => {
    const w = writer();
    w.write(all);
    await w.flush();
    expect(w.stats()).toEqual({ written: all.length, failed: 0, pending: 0 });

    const count = await influx.query('SELECT count(level) FROM telemetry WHERE site = $site AND device = $device', {
      site: 'site-1',
      device: 'tank.1',
    });
    expect(scalar(count)).toBe(2);

    const rows = seriesRows(
      (await influx.query('SELECT level, gas_lel, flags, skewed FROM telemetry WHERE device = $device', { device: 'tank.1' }))[0]!.series[0]!,
    );
    expect(rows).toEqual([
      { time: TS, level: 71.5, gas_lel: 3, flags: 'gas_lel:D', skewed: null },
      { time: TS + 1_000, level: 72.25, gas_lel: null, flags: null, skewed: null },
    ]);

    const tank2 = seriesRows((await influx.query('SELECT * FROM telemetry WHERE device = $d', { d: 'tank.2' }))[0]!.series[0]!);
    expect(tank2).toMatchObject([{ level: 10, flow: 1e21, nox: 1e-7, skewed: true, sector: 'hazardous_chemicals' }]);
  });

  it('keeps detections of the same camera, type and millisecond apart', async () => {
    const res = await influx.query('SELECT count(confidence) FROM detection WHERE camera = $cam GROUP BY "type"', { cam: 'cam_1' });
    const byType = Object.fromEntries(res[0]!.series.map((s) => [s.tags?.type, s.values[0]?.[1]]));
    expect(byType).toEqual({ no_helmet: 2, smoking: 1 });
    const snap = await influx.query('SELECT snapshot FROM detection WHERE snapshot = $s', { s: 'snaps/a "b".jpg' });
    expect(res[0]!.series.length).toBe(2);
    expect(snap[0]!.series[0]!.values.length).toBe(1);
  });

  it('round-trips escaped tag values and string fields of events', async () => {
    const ev1 = seriesRows((await influx.query('SELECT * FROM event WHERE event_id = $id', { id: 'ev-1' }))[0]!.series[0]!);
    expect(ev1).toMatchObject([
      { severity: 'critical', transition: 'open', value: 27.5, threshold: 25, message: 'LEL "high"\\nsee tank.1 \\ north' },
    ]);
    const ev2 = seriesRows((await influx.query('SELECT * FROM event WHERE site = $site', { site: 'north site,A=1' }))[0]!.series[0]!);
    expect(ev2).toMatchObject([{ event_id: 'ev-2', threshold: null, rule: 'deadman' }]);
  });

  it('stores an event line with its raise and detection times and the late mark', async () => {
    const ev2 = seriesRows((await influx.query('SELECT raised_at, detected_at, late FROM event WHERE event_id = $id', { id: 'ev-2' }))[0]!.series[0]!);
    expect(ev2).toEqual([{ time: TS, raised_at: TS, detected_at: TS + 7_200_000, late: true }]);
  });

  it('stores a point written twice once', async () => {
    const before = await influx.query('SELECT count(*) FROM telemetry, detection, event');
    const w = writer();
    w.write(all);
    w.write([telemetry[0]!, telemetry[0]!]);
    await w.flush();
    expect(w.stats().failed).toBe(0);
    const after = await influx.query('SELECT count(*) FROM telemetry, detection, event');
    expect(after).toEqual(before);
    expect(scalar(await influx.query('SELECT count(level) FROM telemetry'))).toBe(3);
  });

  it('treats a bound parameter full of quotes, newlines and semicolons as a plain value', async () => {
    const evil = `site-1' OR 1=1; DROP DATABASE "${influx.database}"\n--"; DROP MEASUREMENT telemetry`;
    const res = await influx.query('SELECT * FROM telemetry WHERE site = $site', { site: evil });
    expect(res).toEqual([{ statementId: 0, series: [] }]);
    const dbs = await influx.query('SHOW DATABASES', undefined, { database: null });
    expect(dbs[0]!.series[0]!.values.flat()).toContain(influx.database);
    expect(scalar(await influx.query('SELECT count(level) FROM telemetry'))).toBe(3);
  });

  it('reports a bad statement as an InfluxQueryError', async () => {
    const err = await influx.query('SELEKT nonsense').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfluxQueryError);
    expect((err as InfluxQueryError).code).toBe('GW_INFLUX_QUERY');
  });
});

describe('writer failures', () => {
  it('counts lines the server refuses, hands them to onDropped, and never throws', async () => {
    const dropped: { lines: string[]; reason: DropReason }[] = [];
    const w = writer({ onDropped: (lines, reason) => dropped.push({ lines, reason }) });
    // level is a float field: a string value is a field type conflict, refused with 400
    const bad = 'telemetry,site=site-1,device=tank.9,sector=mining level="high" 1764000000000000000';
    w.write([bad]);
    await w.flush();
    expect(w.stats()).toEqual({ written: 0, failed: 1, pending: 0 });
    expect(dropped).toEqual([{ lines: [bad], reason: 'rejected' }]);
  });

  it('reports from flush() the reason lines were dropped since the previous flush, then null once all is written', async () => {
    const w = writer();
    w.write(['telemetry,site=site-1,device=tank.9,sector=mining level="high" 1764000000000000001']);
    expect(await w.flush()).toEqual({ dropped: 'rejected' });
    w.write(['telemetry,site=site-1,device=tank.9,sector=mining level=2 1764000000000000002']);
    expect(await w.flush()).toEqual({ dropped: null });
  });

  it('gives up on an unreachable server after its retries and counts the lines failed', async () => {
    const dropped: DropReason[] = [];
    const w = writer({ url: `http://127.0.0.1:${await closedPort()}`, maxRetries: 0, onDropped: (_l, r) => dropped.push(r) });
    expect(() => w.write(['m f=1 1'])).not.toThrow();
    await w.flush();
    expect(w.stats()).toEqual({ written: 0, failed: 1, pending: 0 });
    expect(dropped).toEqual(['retries_exhausted']);
  });

  it('gives up once maxRetryTime is over and counts the lines once', async () => {
    const dropped: DropReason[] = [];
    const w = writer({
      url: `http://127.0.0.1:${await closedPort()}`,
      maxRetries: 50,
      minRetryDelayMs: 50,
      maxRetryDelayMs: 100,
      maxRetryTimeMs: 400,
      onDropped: (_l, r) => dropped.push(r),
    });
    w.write(['m f=1 1', 'm f=2 2']);
    await vi.waitFor(() => expect(w.stats()).toEqual({ written: 0, failed: 2, pending: 0 }), { timeout: 10_000, interval: 50 });
    await new Promise((r) => setTimeout(r, 300)); // any late second verdict would show up here
    expect(w.stats().failed).toBe(2);
    expect(dropped).toEqual(['retries_exhausted']);
  });

  it('drops what is still waiting for a retry when closed, for the outbox', async () => {
    const dropped: { lines: string[]; reason: DropReason }[] = [];
    const w = writer({
      url: `http://127.0.0.1:${await closedPort()}`,
      minRetryDelayMs: 60_000,
      onDropped: (lines, reason) => dropped.push({ lines, reason }),
    });
    w.write(['m f=1 1', 'm f=2 2']);
    await w.flush();
    expect(w.stats()).toEqual({ written: 0, failed: 0, pending: 2 });
    await w.close();
    expect(w.stats()).toEqual({ written: 0, failed: 2, pending: 0 });
    expect(dropped).toEqual([{ lines: ['m f=1 1', 'm f=2 2'], reason: 'closed' }]);
    w.write(['m f=3 3']);
    expect(w.stats().failed).toBe(3);
  });

  it('retries through an outage and writes everything once influxd is back', async () => {
    const w = writer({ minRetryDelayMs: 200, maxRetryDelayMs: 500, maxRetries: 20 });
    await influx.server.stop();
    const lines = [telemetryLine([reading('tank.outage', 'level', 1, { ts: TS + 5_000 })])];
    w.write(lines);
    await w.flush();
    expect(w.stats().pending).toBe(1);
    await influx.server.restart();
    await vi.waitFor(() => expect(w.stats()).toEqual({ written: 1, failed: 0, pending: 0 }), { timeout: 20_000, interval: 100 });
    expect(scalar(await influx.query('SELECT count(level) FROM telemetry WHERE device = $d', { d: 'tank.outage' }))).toBe(1);
    // the data written before the outage survived the restart
    expect(scalar(await influx.query('SELECT count(level) FROM telemetry WHERE device = $d', { d: 'tank.1' }))).toBe(2);
  });
});

describe('private influxd', () => {
  it('comes back on the same URL with its data after a crash', async () => {
    const url = influx.server.url;
    const pid = influx.server.pid;
    influx.server.kill('SIGKILL');
    await influx.server.restart();
    expect(influx.server.url).toBe(url);
    expect(influx.server.pid).not.toBe(pid);
    // written before the crash: kept by the write-ahead log
    expect(scalar(await influx.query('SELECT count(level) FROM telemetry WHERE device = $d', { d: 'tank.outage' }))).toBe(1);
  });
});

describe('query client', () => {
  it('says the server is unreachable with a typed error', async () => {
    const q = createInfluxQuery({ url: `http://127.0.0.1:${await closedPort()}`, api: 'v1', database: 'x' });
    await expect(q.query('SHOW DATABASES')).rejects.toMatchObject({ code: 'GW_INFLUX_UNREACHABLE' });
  });
});
