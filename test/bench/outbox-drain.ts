// Outbox drain bench (issue: no data lost). Run: npx tsx test/bench/outbox-drain.ts [--points N] [--ingest-rate R]
// 1. Fills a journal with N telemetry points (default 1,000,000) and times draining it into a
//    local influxd, checking every point landed (COUNT).
// 2. Starts a gateway whose outbox holds N points and streams readings at R/s over MQTT from a
//    child process while it drains: reports drain time and the ingest rate reached meanwhile.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { createGateway } from '../../gateway/src/app.js';
import { loadConfig } from '../../gateway/src/config.js';
import { createLogger } from '../../gateway/src/observability/index.js';
import { createForwarder, createInfluxWriter, openJournal, telemetryLine } from '../../gateway/src/storage/index.js';
import { startTestInfluxd } from '../helpers/influxd.js';

const { values } = parseArgs({ options: { points: { type: 'string', default: '1000000' }, 'ingest-rate': { type: 'string', default: '5000' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('npx tsx test/bench/outbox-drain.ts [--points 1000000] [--ingest-rate 5000]');
  process.exit(0);
}
const N = Number(values.points);
const RATE = Number(values['ingest-rate']);
const log = (s: string) => process.stdout.write(`${s}\n`);

async function fill(dir: string, site = 's1', device = 'd1') {
  const journal = await openJournal(dir);
  const base = Date.now() - 10 * 86_400_000;
  for (let i = 0; i < N; i += 5000) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(N, i + 5000); j++) {
      lines.push(telemetryLine([{ site, device, sector: 'hazardous_chemicals', metric: 'gas_lel', value: j % 100, ts: base + j, skewed: false, valid: true }]));
    }
    await journal.append(lines);
  }
  return journal;
}

async function count(influx: Awaited<ReturnType<typeof startTestInfluxd>>, device: string): Promise<number> {
  const [r] = await influx.query(`SELECT COUNT("gas_lel") FROM "telemetry" WHERE "device" = '${device}'`);
  return Number(r?.series[0]?.values[0]?.[1] ?? 0);
}

async function drainAlone() {
  const influx = await startTestInfluxd('bench_drain');
  const dir = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
  try {
    const t0 = Date.now();
    const journal = await fill(dir);
    log(`filled ${N} points (${(journal.backlog().bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const writer = createInfluxWriter({ url: influx.url, api: 'v1', database: influx.database, maxRetries: 0 });
    const fwd = createForwarder({ journal, writer: async () => writer, dir, logger: { info() {}, warn() {}, error: console.error } });
    const cpu0 = process.cpuUsage();
    const t1 = Date.now();
    fwd.start();
    const ok = await fwd.drain(600_000);
    const secs = (Date.now() - t1) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await fwd.stop();
    await journal.close();
    await writer.close();
    const landed = await count(influx, 'd1');
    log(`drain alone: ${N} points in ${secs.toFixed(1)} s = ${Math.round(N / secs)} points/s; gateway-side CPU ${(((cpu.user + cpu.system) / N)).toFixed(2)} us/point; landed ${landed}${ok && landed === N ? ' (all)' : ' (MISSING POINTS)'}`);
    return { points: N, seconds: secs, pointsPerSecond: N / secs, landed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await influx.stop();
  }
}

async function drainWhileIngesting() {
  const influx = await startTestInfluxd('bench_drain2');
  const dir = mkdtempSync(join(tmpdir(), 'bench-gw-'));
  const registry = { sites: [{ id: 's1', name: 'bench', sector: 'hazardous_chemicals', devices: Array.from({ length: 20 }, (_, i) => ({ id: `d${i + 1}`, kind: 'sensor', secret: `secret-d${i + 1}` })) }] };
  writeFileSync(join(dir, 'registry.yaml'), stringify(registry));
  try {
    const journal = await fill(join(dir, 'outbox'), 's1', 'backlog');
    await journal.close();
    const config = loadConfig({ GATEWAY_MQTT_PORT: '0', GATEWAY_HTTP_PORT: '0', GATEWAY_HOST: '127.0.0.1', GATEWAY_DATA_DIR: dir, GATEWAY_REGISTRY: join(dir, 'registry.yaml'), GATEWAY_RULES_DIR: resolve('rules'), GATEWAY_API_TOKEN: 'bench-token-0123456789', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_LOG_LEVEL: 'warn', GATEWAY_MQTT_CONN_PER_SECOND: '0' });
    const gw = await createGateway({ config, logger: createLogger('warn'), registryRequired: true });
    const where = await gw.start();
    const t0 = Date.now();
    const sim = spawn(process.execPath, ['--import', 'tsx', resolve('device-sim/src/cli.ts'), '--url', `mqtt://127.0.0.1:${where.mqttPort}`, '--registry', join(dir, 'registry.yaml'), '--rate', String(RATE), '--qos', '1', '--duration', '10m', '--start-time', 'now', '-q'], { stdio: 'ignore' });
    let drainedAt = 0;
    while (!drainedAt && Date.now() - t0 < 600_000) {
      await new Promise((r) => setTimeout(r, 200));
      if ((await count(influx, 'backlog').catch(() => 0)) >= N) drainedAt = Date.now();
    }
    const ingestSecs = (Date.now() - t0) / 1000;
    sim.kill('SIGINT');
    await new Promise((r) => sim.once('exit', r));
    await gw.history.flush(60_000);
    const [r] = await influx.query(`SELECT COUNT("gas_lel") FROM "telemetry" WHERE "device" <> 'backlog'`);
    const live = Number(r?.series[0]?.values[0]?.[1] ?? 0);
    await gw.stop();
    const secs = (drainedAt - t0) / 1000;
    log(`drain while ingesting at ${RATE}/s: backlog of ${N} drained in ${secs.toFixed(1)} s (${Math.round(N / secs)} points/s); ${live} live readings stored, ${Math.round(live / ingestSecs)} readings/s kept flowing`);
    return { points: N, seconds: secs, ingestRateTarget: RATE, liveStored: live, liveRate: live / ingestSecs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await influx.stop();
  }
}

const results = { alone: await drainAlone(), whileIngesting: await drainWhileIngesting() };
log(JSON.stringify(results));
