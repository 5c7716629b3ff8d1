// Soak (issue: no data lost). Run: npx tsx test/bench/soak.ts [--minutes 30] [--rate 2000]
// Runs the gateway as a child process against a local influxd, streams readings at --rate
// from a simulator child process, samples the gateway's RSS and V8 heap every minute from
// /metrics, and reports the growth after a warm-up (target: flat, no trend above 5%).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateRegistry, registryToYaml } from '../../device-sim/src/index.js';
import { COMPILED_GATEWAY, spawnGateway, TSX_GATEWAY } from '../helpers/gateway-process.js';
import { startTestInfluxd } from '../helpers/influxd.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, rate: { type: 'string', default: '2000' }, 'sample-every': { type: 'string', default: '60' }, tsx: { type: 'boolean' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('npx tsx test/bench/soak.ts [--minutes 30] [--rate 2000] [--sample-every 60 (seconds)] [--tsx: run the sources instead of the compiled gateway npm start runs]');
  process.exit(0);
}
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const every = Number(values['sample-every']) * 1000;
const log = (s: string) => process.stdout.write(`${s}\n`);

const influx = await startTestInfluxd('soak');
const dir = mkdtempSync(join(tmpdir(), 'soak-'));
writeFileSync(join(dir, 'registry.yaml'), registryToYaml(generateRegistry({ sites: 20, devicesPerSite: 10, sector: 'mixed', seed: 'soak' })));
const gw = await spawnGateway({
  GATEWAY_DATA_DIR: join(dir, 'data'),
  GATEWAY_REGISTRY: join(dir, 'registry.yaml'),
  GATEWAY_RULES_DIR: resolve('rules'),
  GATEWAY_API_TOKEN: 'soak-token-0123456789',
  GATEWAY_MQTT_CONN_PER_SECOND: '0',
  INFLUX_URL: influx.url,
  INFLUX_DATABASE: influx.database,
}, 150_000, values.tsx ? TSX_GATEWAY : COMPILED_GATEWAY);
const sim = spawn(process.execPath, ['--import', 'tsx', resolve('device-sim/src/cli.ts'), '--url', `mqtt://127.0.0.1:${gw.mqttPort}`, '--registry', join(dir, 'registry.yaml'), '--rate', String(rate), '--qos', '1', '--duration', `${minutes}m`, '--start-time', 'now', '-q'], { stdio: 'ignore' });

/** One sample of /metrics, with how long the gateway took to answer (a stalled loop shows here). */
async function sample() {
  const t0 = performance.now();
  const text = await (await fetch(`${gw.httpUrl}/metrics`, { signal: AbortSignal.timeout(60_000) })).text();
  const get = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: get('process_resident_memory_bytes'), heap: get('nodejs_heap_used_bytes'), readings: get('gateway_readings_total'), outbox: get('gateway_outbox_points'), answerMs: Math.round(performance.now() - t0) };
}

const samples: Array<{ minute: number; rss: number; heap: number; readings: number; outbox: number; answerMs: number }> = [];
/** Samples the gateway did not answer within 60 s: reported, and the soak goes on. */
const missed: Array<{ minute: number; error: string }> = [];
const start = Date.now();
log('minute  rss_MiB  heap_MiB  readings  outbox_points  metrics_ms  load');
for (let m = 1; Date.now() - start < minutes * 60_000; m++) {
  await new Promise((r) => setTimeout(r, every));
  let s;
  try {
    s = { minute: m, ...(await sample()) };
  } catch (err) {
    missed.push({ minute: m, error: String((err as Error).cause ?? err) });
    log(`${String(m).padStart(6)}  no answer from /metrics within 60 s: ${missed.at(-1)!.error}`);
    continue;
  }
  samples.push(s);
  log(`${String(m).padStart(6)}  ${(s.rss / 2 ** 20).toFixed(1).padStart(7)}  ${(s.heap / 2 ** 20).toFixed(1).padStart(8)}  ${String(s.readings).padStart(8)}  ${String(s.outbox).padStart(13)}  ${String(s.answerMs).padStart(10)}  ${loadavg()[0]!.toFixed(2)}`);
}
// The simulator's own --duration may have ended it already: waiting for an 'exit' that was
// emitted before would hang here for good (the 2-hour soak of 2026-12-02 never printed its summary).
if (sim.exitCode === null && sim.signalCode === null) {
  const exited = new Promise((r) => sim.once('exit', r));
  sim.kill('SIGINT');
  await exited;
}

// Growth after warm-up (the first fifth of the run): least-squares slope over the rest,
// expressed as the change it predicts across that span relative to its mean.
function trend(xs: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = xs.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  xs.forEach((y, i) => ((num += (i - mx) * (y - my)), (den += (i - mx) ** 2)));
  return ((num / den) * (n - 1)) / my;
}
const warm = samples.slice(Math.max(1, Math.floor(samples.length / 5)));
const result = {
  minutes,
  rate,
  readings: samples.at(-1)?.readings,
  achievedRate: (samples.at(-1)?.readings ?? 0) / ((Date.now() - start) / 1000),
  rssGrowthPct: 100 * trend(warm.map((s) => s.rss)),
  heapGrowthPct: 100 * trend(warm.map((s) => s.heap)),
  // The same trends per hour of the span after warm-up (the 2-hour soak's target: RSS <= 2 %/h).
  rssGrowthPctPerHour: (100 * trend(warm.map((s) => s.rss)) * 3_600_000) / Math.max(every, (warm.length - 1) * every),
  heapGrowthPctPerHour: (100 * trend(warm.map((s) => s.heap)) * 3_600_000) / Math.max(every, (warm.length - 1) * every),
  missed,
  samples,
};
log(`soak: ${minutes} min at ${rate} messages/s target, ${Math.round(result.achievedRate)} values/s (messages x metrics) achieved; after warm-up RSS trend ${result.rssGrowthPct.toFixed(1)}% (${result.rssGrowthPctPerHour.toFixed(1)}%/h), heap trend ${result.heapGrowthPct.toFixed(1)}% (${result.heapGrowthPctPerHour.toFixed(1)}%/h); target RSS <= 2 %/h; ${missed.length} samples unanswered`);
gw.child.kill('SIGTERM');
await gw.exited;
await influx.stop();
rmSync(dir, { recursive: true, force: true });
log(JSON.stringify(result));
