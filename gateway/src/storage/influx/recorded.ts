// Streams the readings and detections of a period back out of InfluxDB in time order, for
// backtests. Memory stays bounded for any length of period: the period is read in windows
// [t, t + span) whose span adapts so that no answer holds more than `pageSize` points of a
// measurement (a window that would is halved and asked again; one millisecond holding more
// is paged with OFFSET). Windows are half-open, so points of one timestamp never straddle two.
import { MEASUREMENT } from './line-protocol.js';
import { seriesRows, type InfluxQuery } from './query.js';

export interface RecordedTelemetry {
  kind: 'telemetry';
  ts: number;
  site: string;
  device: string;
  sector: string;
  /** Metric -> value of the stored line (numbers only). */
  values: Record<string, number>;
  /** The `flags` field: `metric:flag` pairs of values that were not valid. */
  flags: string | null;
  skewed: boolean;
}

export interface RecordedDetection {
  kind: 'detection';
  ts: number;
  site: string;
  device: string;
  camera: string;
  type: string;
  confidence: number;
  snapshot: string | null;
}

export type RecordedPoint = RecordedTelemetry | RecordedDetection;

export interface RecordedStreamOptions {
  from: number;
  to: number;
  /** Most points of one measurement held at once (default 5,000). */
  pageSize?: number;
  /** First window length (default 1 h); it grows while pages stay small, shrinks when full. */
  initialSpanMs?: number;
  maxSpanMs?: number;
  signal?: AbortSignal;
}

const TELEMETRY_META = new Set(['time', 'site', 'device', 'sector', 'flags', 'skewed', 'maintenance']);

function toTelemetry(row: Record<string, unknown>): RecordedTelemetry {
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(row)) if (!TELEMETRY_META.has(k) && typeof v === 'number') values[k] = v;
  return {
    kind: 'telemetry',
    ts: Number(row.time),
    site: String(row.site ?? ''),
    device: String(row.device ?? ''),
    sector: String(row.sector ?? ''),
    values,
    flags: typeof row.flags === 'string' ? row.flags : null,
    skewed: row.skewed === true,
  };
}

function toDetection(row: Record<string, unknown>): RecordedDetection {
  return {
    kind: 'detection',
    ts: Number(row.time),
    site: String(row.site ?? ''),
    device: String(row.device ?? ''),
    camera: String(row.camera ?? ''),
    type: String(row.type ?? ''),
    confidence: Number(row.confidence),
    snapshot: typeof row.snapshot === 'string' ? row.snapshot : null,
  };
}

/** Time-ordered pages of the period's points (telemetry before detections at equal times). */
export async function* streamRecorded(query: InfluxQuery, opts: RecordedStreamOptions): AsyncGenerator<RecordedPoint[]> {
  const pageSize = opts.pageSize ?? 5000;
  const maxSpan = opts.maxSpanMs ?? 86_400_000;
  let span = Math.min(opts.initialSpanMs ?? 3_600_000, maxSpan);
  let t = Math.trunc(opts.from);
  const to = Math.trunc(opts.to);

  // Times are integers the gateway computed (never caller text), written as ms literals.
  const select = (m: string, a: number, b: number, limit: number, offset = 0) =>
    `SELECT * FROM "${m}" WHERE time >= ${a}ms AND time < ${b}ms ORDER BY time ASC LIMIT ${limit}${offset ? ` OFFSET ${offset}` : ''}`;
  const read = async (a: number, b: number, limit: number, offset = 0) => {
    const results = await query.query(`${select(MEASUREMENT.telemetry, a, b, limit, offset)}; ${select(MEASUREMENT.detection, a, b, limit, offset)}`, undefined, { signal: opts.signal });
    const rows = (i: number) => (results[i]?.series ?? []).flatMap(seriesRows);
    return { telemetry: rows(0), detection: rows(1) };
  };

  while (t < to) {
    const end = Math.min(to, t + span);
    const page = await read(t, end, pageSize + 1);
    if (page.telemetry.length > pageSize || page.detection.length > pageSize) {
      if (end - t > 1) {
        span = Math.max(1, Math.floor((end - t) / 2));
        continue;
      }
      // One millisecond holds more than a page: walk it with OFFSET, one measurement at a time.
      for (let offset = 0; ; offset += pageSize) {
        const part = await read(t, end, pageSize, offset);
        if (part.telemetry.length === 0 && part.detection.length === 0) break;
        yield [...part.telemetry.map(toTelemetry), ...part.detection.map(toDetection)];
      }
    } else {
      const points: RecordedPoint[] = [...page.telemetry.map(toTelemetry), ...page.detection.map(toDetection)];
      points.sort((a, b) => a.ts - b.ts || (a.kind === b.kind ? 0 : a.kind === 'telemetry' ? -1 : 1));
      if (points.length > 0) yield points;
      // Aim the next window at about 70 % of a page from this one's density (at most 4x longer).
      const most = Math.max(page.telemetry.length, page.detection.length, 1);
      span = Math.max(1, Math.min(maxSpan, span * 4, Math.round(((end - t) * pageSize * 0.7) / most)));
    }
    t = end;
  }
}
