// Runs a backtest over stored history: a small composition of its own (like a command-line
// entry point) that wires the InfluxDB stream, the registry and the two rule sets to the pure
// backtest. Used by `npm run rules -- backtest` and by the API's worker thread.
import { DETECTION_TYPES, type Detection, type DetectionType, type DeviceRef, type Reading } from '../domain/index.js';
import type { Registry } from '../registry/index.js';
import { streamRecorded, type InfluxQuery, type RecordedDetection, type RecordedPoint, type RecordedTelemetry } from '../storage/index.js';
import { createReplayRun, diffBacktest, type PastEvent, type RecordedMessage } from './backtest.js';
import type { BacktestResult } from './backtest-schema.js';
import type { CompiledRules } from './compile.js';

export interface BacktestProgress {
  /** Event time reached. */
  at: number;
  from: number;
  to: number;
  points: number;
}

export interface BacktestRunOptions {
  query: InfluxQuery;
  registry: Registry;
  current: CompiledRules;
  candidate: CompiledRules;
  past: readonly PastEvent[];
  from: number;
  to: number;
  pageSize?: number;
  listLimit?: number;
  /** Start every registry device's offline clock at `from`, as the gateway does at start (default true). */
  expectRegistry?: boolean;
  onProgress?: (p: BacktestProgress) => void;
  signal?: AbortSignal;
}

const DETECTION_TYPE_SET: ReadonlySet<string> = new Set(DETECTION_TYPES);

/** The registry's view of a stored point's device, or undefined when it is not (or no longer) there. */
function refOf(registry: Registry, site: string, device: string): DeviceRef | undefined {
  const d = registry.device(device);
  if (!d || d.site !== site) return undefined;
  return { site: d.site, device: d.device, sector: d.sector, kind: d.kind };
}

function telemetryMessage(ref: DeviceRef, p: RecordedTelemetry): RecordedMessage {
  const invalid = new Map<string, string>();
  for (const pair of (p.flags ?? '').split(' ')) {
    const cut = pair.lastIndexOf(':');
    if (cut > 0) invalid.set(pair.slice(0, cut), pair.slice(cut + 1));
  }
  // Built field by field: object spread here cost ~20x more per reading (measured).
  const readings: Reading[] = [];
  for (const metric in p.values) {
    const flag = invalid.get(metric);
    const r: Reading = { site: ref.site, device: ref.device, sector: ref.sector, kind: ref.kind, metric, value: p.values[metric]!, ts: p.ts, receivedAt: p.ts, skewed: p.skewed, valid: flag === undefined };
    if (flag !== undefined && flag !== 'invalid') r.flag = flag;
    readings.push(r);
  }
  return { ts: p.ts, ref, readings };
}

/**
 * Turns a time-ordered page of stored points into engine messages: a telemetry point was one
 * message; detections of one camera at one time were one vision message.
 */
export function messagesOf(registry: Registry, page: readonly RecordedPoint[], skipped: { n: number }): RecordedMessage[] {
  const out: RecordedMessage[] = [];
  let vision = new Map<string, { ref: DeviceRef; points: RecordedDetection[] }>();
  let visionTs = NaN;
  const flush = () => {
    if (vision.size === 0) return;
    for (const { ref, points } of vision.values()) {
      const detections = points.map((d): Detection => {
        const x: Detection = { site: ref.site, device: ref.device, sector: ref.sector, kind: ref.kind, camera: d.camera, type: d.type as DetectionType, confidence: d.confidence, ts: d.ts, receivedAt: d.ts, skewed: false };
        if (d.snapshot !== null) x.snapshot = d.snapshot;
        return x;
      });
      out.push({ ts: visionTs, ref, detections });
    }
    vision = new Map();
  };
  for (const p of page) {
    if (p.ts !== visionTs) flush();
    const ref = refOf(registry, p.site, p.device);
    if (!ref || (p.kind === 'detection' && !DETECTION_TYPE_SET.has(p.type))) {
      skipped.n++;
      continue;
    }
    if (p.kind === 'telemetry') {
      if (Object.keys(p.values).length > 0) out.push(telemetryMessage(ref, p));
      continue;
    }
    visionTs = p.ts;
    const k = `${p.device}\u0000${p.camera}`;
    const group = vision.get(k);
    if (group) group.points.push(p);
    else vision.set(k, { ref, points: [p] });
  }
  flush();
  return out;
}

/** Streams the period out of InfluxDB through both rule sets and diffs the two. */
export async function runBacktest(o: BacktestRunOptions): Promise<BacktestResult> {
  const expect = o.expectRegistry === false ? [] : o.registry.devices().map((d) => ({ site: d.site, device: d.device, sector: d.sector, kind: d.kind }));
  const before = createReplayRun(o.current, expect);
  const after = createReplayRun(o.candidate, expect);
  const skipped = { n: 0 };
  let points = 0;
  let messages = 0;
  for await (const page of streamRecorded(o.query, { from: o.from, to: o.to, pageSize: o.pageSize, signal: o.signal })) {
    points += page.length;
    for (const m of messagesOf(o.registry, page, skipped)) {
      messages++;
      before.feed(m);
      after.feed(m);
    }
    o.onProgress?.({ at: page[page.length - 1]!.ts, from: o.from, to: o.to, points });
  }
  const rules = new Set([...o.current.byId.keys(), ...o.candidate.byId.keys()]);
  return diffBacktest({ from: o.from, to: o.to, before: before.finish(o.to), after: after.finish(o.to), past: o.past, rules, points, messages, skippedPoints: skipped.n, listLimit: o.listLimit });
}
