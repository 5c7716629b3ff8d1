// Cost of keeping points apart (storage/influx/point-times.ts) on the telemetry line path:
// the plain line builder (offset 0, the old behaviour) against the builder with offsets, on
// the same messages in the same process. Run: npx tsx test/bench/point-times.bench.ts
// Rows: device-timed messages of 1,000 devices (one a second each), arrival-timed bursts
// (20 per millisecond per device), and a re-sent backlog (each message twice).
import { loadavg } from 'node:os';
import { createTelemetryLines, telemetryLine, type TelemetryReading } from '../../gateway/src/storage/influx/index.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const ROUNDS = 3;
const T0 = 1_764_000_000_000;

function message(i: number, kind: 'device' | 'burst' | 'resend'): TelemetryReading[] {
  const d = i % 1000;
  const n = kind === 'resend' ? Math.floor(i / 2) : i;
  const ts = kind === 'burst' ? T0 + Math.floor(n / 20_000) : T0 + Math.floor(n / 1000) * 1000;
  const base = { site: `site-${d % 50}`, device: `dtu-${d}`, sector: 'pollution_source' as const, ts, skewed: false, valid: true, arrival: kind === 'burst' };
  return [
    { ...base, metric: 'cod', value: 40 + (n % 13) },
    { ...base, metric: 'nh3n', value: 3 + (n % 7) / 10 },
    { ...base, metric: 'ph', value: 7.1 },
  ];
}

function time(build: (r: TelemetryReading[]) => string, input: TelemetryReading[][]): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (const m of input) sink += build(m).length;
  const ns = Number(process.hrtime.bigint() - start);
  if (sink === 0) throw new Error('nothing built');
  return ns / input.length;
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${MESSAGES} messages of 3 metrics per row, best of ${ROUNDS}`);
for (const kind of ['device', 'burst', 'resend'] as const) {
  const input = Array.from({ length: MESSAGES }, (_, i) => message(i, kind));
  let plain = Infinity;
  let offsets = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    plain = Math.min(plain, time((m) => telemetryLine(m), input));
    offsets = Math.min(offsets, time(createTelemetryLines(), input));
  }
  console.log(`${kind.padEnd(7)} plain ${plain.toFixed(0).padStart(5)} ns/message   with offsets ${offsets.toFixed(0).padStart(5)} ns/message   (+${(offsets - plain).toFixed(0)} ns, x${(offsets / plain).toFixed(2)})`);
}
