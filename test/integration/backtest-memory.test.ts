import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistry } from '../../gateway/src/registry/index.js';
import { runBacktest } from '../../gateway/src/rules/backtest-runner.js';
import { compileRuleSet, loadRuleSet } from '../../gateway/src/rules/index.js';
import { createInfluxQuery, streamRecorded, telemetryLine, type RecordedPoint } from '../../gateway/src/storage/index.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

// A backtest of a long period keeps memory bounded: measured, not timed. 120,000 stored
// points over 60 days are streamed in pages of 2,000; the heap after a full GC is sampled at
// every page. Streaming five times as many points must not raise that high-water mark by more
// than a small part of what holding the extra points would cost (measured here too).
// (Memory does grow with the events the two runs raise: 240 here.)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const START = Date.UTC(2026, 8, 1);
const DAY = 86_400_000;
const N = 120_000;
const STEP = 43_200; // ms between points: 120,000 points span 60 days
const registry = parseRegistry({
  sites: [{ id: 'hb-long', name: 'Long history', sector: 'hazardous_chemicals', devices: [{ id: 'long-01', kind: 'sensor', secret: 'long-01-secret' }, { id: 'long-02', kind: 'sensor', secret: 'long-02-secret' }] }],
});
let influx: TestInfluxd;

beforeAll(async () => {
  influx = await startTestInfluxd('memory');
  let batch: string[] = [];
  for (let i = 0; i < N; i++) {
    const device = i % 2 === 0 ? 'long-01' : 'long-02';
    const ts = START + i * STEP;
    // A gas peak every 1,000 points, so the engines raise and resolve events as they go.
    const gas = i % 1000 < 3 ? 31 : 1 + (i % 7) / 10;
    const base = { site: 'hb-long', device, sector: 'hazardous_chemicals' as const, ts, skewed: false, valid: true };
    batch.push(telemetryLine([{ ...base, metric: 'gas_lel', value: gas }, { ...base, metric: 'temperature', value: 20 }, { ...base, metric: 'pressure', value: 0.2 }, { ...base, metric: 'level', value: 40 + (i % 11) }]));
    if (batch.length === 10_000 || i === N - 1) {
      const res = await fetch(`${influx.server.url}/write?db=${influx.database}&precision=ns`, { method: 'POST', headers: influx.headers, body: batch.join('\n') });
      expect(res.status).toBe(204);
      batch = [];
    }
  }
}, 180_000);

afterAll(async () => {
  await influx?.stop();
});

async function highWater(days: number): Promise<{ peak: number; points: number; pages: number }> {
  const rules = compileRuleSet(loadRuleSet(resolve('rules')));
  const query = createInfluxQuery({ url: influx.url, api: 'v1', database: influx.database });
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let pages = 0;
  const result = await runBacktest({
    query,
    registry,
    current: rules,
    candidate: rules,
    past: [],
    from: START,
    to: START + days * DAY,
    pageSize: 2000,
    onProgress: () => {
      pages++;
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    },
  });
  expect(result.totals.before).toBeGreaterThan(0);
  return { peak, points: result.points, pages };
}

/** Heap held by `n` stored points kept in an array, after a full GC. */
async function costOfHolding(n: number): Promise<number> {
  const query = createInfluxQuery({ url: influx.url, api: 'v1', database: influx.database });
  gc();
  const base = process.memoryUsage().heapUsed;
  const held: RecordedPoint[] = [];
  for await (const page of streamRecorded(query, { from: START, to: START + 60 * DAY, pageSize: 2000 })) {
    for (const p of page) if (held.length < n) held.push(p);
    if (held.length >= n) break;
  }
  gc();
  const cost = process.memoryUsage().heapUsed - base;
  expect(held).toHaveLength(n);
  return cost;
}

describe('backtest memory', () => {
  it('keeps the heap high-water mark flat while five times as many points stream through', async () => {
    const short = await highWater(12);
    const long = await highWater(60);
    expect(short.points).toBe(N / 5);
    expect(long.points).toBe(N);
    expect(long.pages).toBeGreaterThanOrEqual(N / 2000);
    const extra = await costOfHolding(long.points - short.points);
    // Holding the extra 96,000 points would cost `extra` bytes; streaming them costs a few percent of it at most.
    process.stdout.write(`backtest heap high-water: ${(short.peak / 1e6).toFixed(1)} MB for ${short.points} points, ${(long.peak / 1e6).toFixed(1)} MB for ${long.points}; holding the extra points: ${(extra / 1e6).toFixed(1)} MB\n`);
    expect(extra).toBeGreaterThan(10e6);
    expect(long.peak - short.peak).toBeLessThan(extra * 0.1);
  }, 240_000);
});
