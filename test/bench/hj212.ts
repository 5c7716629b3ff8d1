// Scenario hj212: values/s and CPU per value over HJ 212 (TCP, 4 values per frame, 9014 after
// the outbox) next to the MQTT/JSON path (1 value per QoS 1 message), same gateway process,
// same run, every value counted in influxd. Closed loop on both: `WINDOW` in flight per connection.
import { connect, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hj212Registry } from '../../device-sim/src/hj212/index.js';
import { generateRegistry } from '../../device-sim/src/index.js';
import { formatLocalTime, formatPacket, frame, Framer } from '../../gateway/src/hj212/index.js';
import { createInfluxQuery } from '../../gateway/src/storage/influx/index.js';
import { startGatewayChild, startLoadGen, type BenchOptions } from './common.js';
import type { PublishResult } from './load-gen.js';
import { cpuMeter, sleep } from './proc.js';

const CONNECTIONS = 32;
const WINDOW = 16;
const VALUES_PER_FRAME = 4;

export interface PathFigures {
  messages: number;
  values: number;
  valuesPerSecond: number;
  messagesPerSecond: number;
  cpuUsPerValue: number;
  cores: number;
  landed: number;
}
export interface Hj212BenchResult {
  durationS: number;
  connections: number;
  window: number;
  mqtt: PathFigures;
  hj212: PathFigures;
  /** HJ 212 CPU per value over MQTT/JSON's. */
  cpuRatio: number;
}

/** One logger's closed loop: WINDOW frames in flight, a new one per 9014. */
function loggerLoop(port: number, mn: string, pw: string, index: number, until: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const framer = new Framer(4096);
    let n = 0;
    let acked = 0;
    let inFlight = 0;
    // Each frame gets its own millisecond of logger time so no two points of a device collide.
    const t0 = Date.now() - 120_000;
    const next = () => {
      const at = t0 + n;
      const qn = `2026${String(index).padStart(3, '0')}${String(n++).padStart(10, '0')}`;
      const cp = `DataTime=${formatLocalTime(at, 'Asia/Shanghai', true)};w00000-Rtd=12.1,w00000-Flag=N;w01001-Rtd=7.2,w01001-Flag=N;w01018-Rtd=${(40 + (n % 10)).toFixed(1)},w01018-Flag=N;w21003-Rtd=3.1,w21003-Flag=N`;
      inFlight++;
      socket.write(frame(formatPacket({ qn, st: '32', cn: '2011', pw, mn, flag: { value: 5, ack: true, split: false, versionBits: 1, version: '2017' }, cp })), 'latin1');
    };
    socket.on('connect', () => {
      for (let i = 0; i < WINDOW; i++) next();
    });
    socket.on('data', (chunk: Buffer) => {
      for (const o of framer.push(chunk)) {
        if (o.type !== 'frame') continue;
        acked++;
        inFlight--;
        if (Date.now() < until) next();
        else if (inFlight === 0) socket.end();
      }
    });
    socket.on('close', () => resolve(acked));
    socket.on('error', reject);
  });
}

export async function runHj212Bench(o: BenchOptions): Promise<Hj212BenchResult> {
  const durationMs = o.quick ? 5_000 : 15_000;
  const mqttReg = generateRegistry({ sites: 1, devicesPerSite: CONNECTIONS, sector: 'hazardous_chemicals', seed: 'bench-hj212' });
  const hjReg = hj212Registry(CONNECTIONS, 'bench');
  const registryPath = join(o.workDir, 'registry-hj212.yaml');
  writeFileSync(registryPath, stringify({ sites: [...mqttReg.sites, ...hjReg.sites] }));
  const devices = mqttReg.sites.flatMap((s) => s.devices.map((d) => ({ id: d.id, site: s.id, secret: d.secret ?? '' })));
  const loggers = hjReg.sites[0]!.devices.map((d) => ({ mn: d.hj212!.mn, pw: d.hj212!.password! }));
  const database = 'bench_hj212';
  const gw = await startGatewayChild(o, { registryPath, devices }, database, { env: { GATEWAY_HJ212_PORT: '0' } });
  const hjPort = Number((await gw.child.waitFor(/hj212 ready: TCP on port (\d+)/, 30_000))[1]);
  const influx = createInfluxQuery({ url: o.influxUrl, api: 'v1', database });
  const count = async (field: string, where: string) => {
    const [r] = await influx.query(`SELECT count("${field}") FROM "telemetry" WHERE ${where}`);
    return Number(r?.series[0]?.values[0]?.[1] ?? 0);
  };
  const landed = async (field: string, where: string, expected: number) => {
    const deadline = Date.now() + 60_000;
    let n = 0;
    while ((n = await count(field, where)) < expected && Date.now() < deadline) await sleep(200);
    return n;
  };
  const load = await startLoadGen(o);
  try {
    // MQTT/JSON, one value per QoS 1 message.
    o.log(`hj212: MQTT/JSON path, ${CONNECTIONS} connections x 64 in flight, ${durationMs / 1000} s`);
    await load.request({ type: 'connect', port: gw.mqttPort, devices, keepalive: 60, concurrency: 32 }, 'connected');
    let meter = cpuMeter(gw.child.pid);
    const r = await load.request<PublishResult>({ type: 'publish', mode: 'closed', window: 64, durationMs, maxMessages: 5_000_000, metric: 'gas_lel', lo: 1, hi: 8 }, 'published', 600_000);
    let cpu = meter.stop();
    const mqttLanded = await landed('gas_lel', `"sector" = 'hazardous_chemicals'`, r.acked);
    const mqtt: PathFigures = { messages: r.acked, values: r.acked, valuesPerSecond: (r.acked / r.elapsedMs) * 1000, messagesPerSecond: (r.acked / r.elapsedMs) * 1000, cpuUsPerValue: cpu.cpuUs / Math.max(1, r.acked), cores: cpu.cores, landed: mqttLanded };
    o.log(`  MQTT/JSON: ${Math.round(mqtt.valuesPerSecond)} values/s, ${mqtt.cpuUsPerValue.toFixed(1)} us CPU/value, ${mqttLanded} of ${r.acked} in influxd`);
    await load.request({ type: 'disconnect' }, 'disconnected');
    await sleep(1000);

    o.log(`hj212: HJ 212 path, ${CONNECTIONS} loggers x ${WINDOW} frames in flight, ${VALUES_PER_FRAME} values per frame, ${durationMs / 1000} s`);
    meter = cpuMeter(gw.child.pid);
    const t0 = performance.now();
    const acks = await Promise.all(loggers.map((l, i) => loggerLoop(hjPort, l.mn, l.pw, i, Date.now() + durationMs)));
    const elapsed = performance.now() - t0;
    cpu = meter.stop();
    const frames = acks.reduce((a, b) => a + b, 0);
    const hjLanded = await landed('w01018', `"sector" = 'pollution_source'`, frames);
    const hj212: PathFigures = {
      messages: frames,
      values: frames * VALUES_PER_FRAME,
      valuesPerSecond: ((frames * VALUES_PER_FRAME) / elapsed) * 1000,
      messagesPerSecond: (frames / elapsed) * 1000,
      cpuUsPerValue: cpu.cpuUs / Math.max(1, frames * VALUES_PER_FRAME),
      cores: cpu.cores,
      landed: hjLanded,
    };
    o.log(`  HJ 212: ${Math.round(hj212.valuesPerSecond)} values/s (${Math.round(hj212.messagesPerSecond)} frames/s), ${hj212.cpuUsPerValue.toFixed(1)} us CPU/value, ${hjLanded} of ${frames} frames in influxd`);
    return { durationS: durationMs / 1000, connections: CONNECTIONS, window: WINDOW, mqtt, hj212, cpuRatio: hj212.cpuUsPerValue / mqtt.cpuUsPerValue };
  } finally {
    await load.stop();
    await gw.stop();
  }
}
