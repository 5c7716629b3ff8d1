// Scenario 1, ingest: readings through the whole gateway pipeline (MQTT -> validation -> rules ->
// outbox journal -> InfluxDB), every point counted in influxd, next to bare aedes relaying the
// same messages to one subscriber. Both in the same run, each measured twice:
//   closed loop  every connection keeps `window` QoS 1 publishes in flight: the highest rate;
//   paced        the target rate (20,000/s) held open loop: is it sustained, and the CPU per
//                reading of both at the same load.
// One reading per message (`{"ts":..,"metrics":{"gas_lel":v}}`), so readings = messages = points.
import { createInfluxQuery } from '../../gateway/src/storage/influx/index.js';
import { startAedesChild, startGatewayChild, startLoadGen, type BenchOptions, type Fleet } from './common.js';
import type { LoadRequest, PublishResult } from './load-gen.js';
import { cpuMeter, machineMeter, sleep, type Child } from './proc.js';
import { summariseProfile, type ProfileSummary } from './profile.js';

export const INGEST_TARGET_RATE = 20_000;
const CONNECTIONS = 32;
const WINDOW = 64;
// gas_lel below every level of hazchem.combustible-gas (25 %LEL) and its clear level (20).
const QUIET = { metric: 'gas_lel', lo: 1, hi: 8 } as const;

export interface RunFigures {
  /** Messages acknowledged (QoS 1 PUBACK) by the broker. */
  acked: number;
  /** PUBACKs per second while publishing. */
  ackRate: number;
  /** Readings per second from the first publish until the last one landed (InfluxDB / the subscriber). */
  endToEndRate: number;
  /** After the last PUBACK, until the last point landed. */
  drainMs: number;
  cpuUsPerReading: number;
  /** Cores used by the broker process during the run. */
  cores: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  /** Paced runs: publishes skipped because a connection's window was full. */
  behind: number;
  /** Cores used by the load generator (publishers). */
  loadGenCores: number;
  /** Cores busy on the whole machine during the run: what is left after broker + load generator (+ influxd) ran beside the bench. */
  machineCores: number;
  /** Gateway runs: CPU of influxd per point. */
  influxdUsPerPoint?: number;
  landed: number;
}

export interface IngestResult {
  /** Readings in each message (the readings/s and us/reading figures count readings). */
  metricsPerMessage: number;
  connections: number;
  window: number;
  durationS: number;
  gateway: { closed: RunFigures; paced: RunFigures; verified: boolean; pointsInInflux: number; expected: number };
  aedes: { closed: RunFigures; paced: RunFigures; subscriberQos: 0 | 1 };
  ratioClosed: number;
  ratioPaced: number;
  sustainedTarget: boolean;
  profile?: ProfileSummary;
}

export function publishReq(mode: 'closed' | 'paced', durationMs: number, metricsPerMessage: number, rate?: number): LoadRequest {
  return { type: 'publish', mode, window: WINDOW, durationMs, maxMessages: 5_000_000, ...(rate ? { rate } : {}), ...QUIET, extraMetrics: metricsPerMessage - 1 };
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return check();
}

/** One measured run: publish, then wait until `landed()` reaches everything acknowledged. */
export async function measured(
  load: Child,
  brokerPid: number,
  req: LoadRequest,
  landed: () => Promise<number>,
  base: number,
  perMessage: number,
  influxdPid?: number,
): Promise<RunFigures> {
  const meter = cpuMeter(brokerPid);
  const loadMeter = cpuMeter(load.pid);
  const machine = machineMeter();
  const influxMeter = influxdPid ? cpuMeter(influxdPid) : undefined;
  const t0 = performance.now();
  const r = await load.request<PublishResult>(req, 'published', 600_000);
  const acksDone = performance.now();
  let count = base;
  // Bounded: what is acknowledged must land within 60 s, or the run reports the shortfall.
  await waitUntil(async () => (count = await landed()) >= base + r.acked, 60_000, 50);
  const end = performance.now();
  const cpu = meter.stop();
  const influx = influxMeter?.stop();
  const loadCpu = loadMeter.stop();
  const machineCores = machine.stop();
  // `landed()` counts messages (lines in influxd, messages at the subscriber); readings = x perMessage.
  return {
    acked: r.acked,
    ackRate: (r.acked / r.elapsedMs) * 1000,
    endToEndRate: (((count - base) * perMessage) / (end - t0)) * 1000,
    drainMs: end - acksDone,
    cpuUsPerReading: cpu.cpuUs / Math.max(1, r.acked * perMessage),
    cores: cpu.cores,
    ackP50Ms: r.ackP50Ms,
    ackP99Ms: r.ackP99Ms,
    ackMaxMs: r.ackMaxMs,
    behind: r.behind,
    landed: count - base,
    loadGenCores: loadCpu.cores,
    machineCores,
    ...(influx ? { influxdUsPerPoint: influx.cpuUs / Math.max(1, r.acked) } : {}),
  };
}

/**
 * metricsPerMessage 1: one reading per message (readings = messages); 10: what real loggers send,
 * paced at the same readings/s target (so a tenth of the messages).
 */
export async function runIngest(o: BenchOptions, fleet: Fleet, influxdPid: number | undefined, metricsPerMessage = 1): Promise<IngestResult> {
  const durationMs = o.quick ? 5_000 : 15_000;
  const pacedRate = INGEST_TARGET_RATE / metricsPerMessage;
  const per = metricsPerMessage;
  const warmMs = o.quick ? 1_500 : 3_000;
  const devices = fleet.devices.slice(0, CONNECTIONS);

  // ---- the gateway, into influxd
  o.log(`ingest: gateway, ${CONNECTIONS} connections x ${WINDOW} in flight, ${durationMs / 1000} s per run`);
  const database = `bench_ingest_${metricsPerMessage}`;
  const gw = await startGatewayChild(o, fleet, database);
  const influx = createInfluxQuery({ url: o.influxUrl, api: 'v1', database });
  const countPoints = async () => {
    const [r] = await influx.query('SELECT count("gas_lel") FROM "telemetry"');
    return Number(r?.series[0]?.values[0]?.[1] ?? 0);
  };
  let gwResult: IngestResult['gateway'];
  let load = await startLoadGen(o);
  try {
    const c = await load.request<{ connected: number; failed: number; firstError?: string }>({ type: 'connect', port: gw.mqttPort, devices, keepalive: 60, concurrency: 32 }, 'connected');
    if (c.connected !== devices.length) throw new Error(`ingest: ${c.failed} of ${devices.length} devices could not connect to the gateway: ${c.firstError}`);
    const warm = await load.request<PublishResult>(publishReq('closed', warmMs, per), 'published');
    let expected = warm.acked;
    await waitUntil(async () => (await countPoints()) >= expected, 60_000, 100);
    const closed = await measured(load, gw.child.pid, publishReq('closed', durationMs, per), countPoints, expected, per, influxdPid);
    expected += closed.acked;
    o.log(`  gateway closed loop: ${Math.round(closed.ackRate)} acks/s, ${Math.round(closed.endToEndRate)} readings/s landed, ${closed.cpuUsPerReading.toFixed(1)} us CPU/reading`);
    await sleep(1000);
    const paced = await measured(load, gw.child.pid, publishReq('paced', durationMs, per, pacedRate), countPoints, expected, per, influxdPid);
    expected += paced.acked;
    o.log(`  gateway paced ${INGEST_TARGET_RATE}/s: ${Math.round(paced.ackRate)} acks/s, ${Math.round(paced.endToEndRate)} readings/s landed, ${paced.cpuUsPerReading.toFixed(1)} us CPU/reading, ${paced.behind} behind`);
    const points = await countPoints();
    gwResult = { closed, paced, verified: points === expected, pointsInInflux: points, expected };
    if (points !== expected) o.log(`  WARNING: influxd holds ${points} telemetry points, ${expected} were acknowledged`);
    await load.request({ type: 'disconnect' }, 'disconnected');
  } finally {
    await load.stop();
    await gw.stop();
  }

  // ---- bare aedes relaying the same messages to one subscriber
  const subscriberQos = 1 as const;
  o.log(`ingest: bare aedes, same load, one subscriber at QoS ${subscriberQos}`);
  const aedes = await startAedesChild(o);
  const sub = await startLoadGen(o);
  load = await startLoadGen(o);
  let aedesResult: IngestResult['aedes'];
  try {
    await sub.request({ type: 'subscribe', port: aedes.mqttPort, topic: 'sites/+/devices/+/telemetry', qos: subscriberQos }, 'subscribed');
    const received = async () => (await sub.request<{ received: number }>({ type: 'count' }, 'count')).received;
    const c = await load.request<{ connected: number }>({ type: 'connect', port: aedes.mqttPort, devices, keepalive: 60, concurrency: 32 }, 'connected');
    if (c.connected !== devices.length) throw new Error('ingest: devices could not connect to aedes');
    const warm = await load.request<PublishResult>(publishReq('closed', warmMs, per), 'published');
    let expected = warm.acked;
    await waitUntil(async () => (await received()) >= expected, 30_000, 50);
    const closed = await measured(load, aedes.child.pid, publishReq('closed', durationMs, per), received, expected, per);
    expected += closed.acked;
    o.log(`  aedes closed loop: ${Math.round(closed.ackRate)} acks/s, ${Math.round(closed.endToEndRate)} msg/s relayed, ${closed.cpuUsPerReading.toFixed(1)} us CPU/msg`);
    await sleep(1000);
    const paced = await measured(load, aedes.child.pid, publishReq('paced', durationMs, per, pacedRate), received, expected, per);
    o.log(`  aedes paced ${INGEST_TARGET_RATE}/s: ${Math.round(paced.endToEndRate)} msg/s relayed, ${paced.cpuUsPerReading.toFixed(1)} us CPU/msg`);
    aedesResult = { closed, paced, subscriberQos };
    await load.request({ type: 'disconnect' }, 'disconnected');
  } finally {
    await load.stop();
    await sub.stop();
    await aedes.stop();
  }

  // ---- optional: where the gateway's time goes (a separate run: the profiler costs CPU too)
  let profile: ProfileSummary | undefined;
  if (o.profile) {
    o.log('ingest: profiling the gateway (closed loop, --cpu-prof)');
    const pg = await startGatewayChild(o, fleet, 'bench_profile', { cpuProf: true });
    load = await startLoadGen(o);
    const window: [number, number] = [0, Number.MAX_SAFE_INTEGER];
    try {
      await load.request({ type: 'connect', port: pg.mqttPort, devices, keepalive: 60, concurrency: 32 }, 'connected');
      await load.request<PublishResult>(publishReq('closed', warmMs, per), 'published', 600_000);
      window[0] = Number(process.hrtime.bigint() / 1000n);
      await load.request<PublishResult>(publishReq('closed', durationMs, per), 'published', 600_000);
      window[1] = Number(process.hrtime.bigint() / 1000n);
      await load.request({ type: 'disconnect' }, 'disconnected');
    } finally {
      await load.stop();
      await pg.stop();
    }
    profile = summariseProfile(o.workDir, pg.child.pid, 25, window);
  }

  const p = gwResult.paced;
  return {
    metricsPerMessage,
    connections: CONNECTIONS,
    window: WINDOW,
    durationS: durationMs / 1000,
    gateway: gwResult,
    aedes: aedesResult,
    ratioClosed: gwResult.closed.cpuUsPerReading / aedesResult.closed.cpuUsPerReading,
    ratioPaced: gwResult.paced.cpuUsPerReading / aedesResult.paced.cpuUsPerReading,
    // Held: the paced run kept up (98 % of the target acknowledged, no window overflow) and landed in InfluxDB within 2 s of the last PUBACK.
    sustainedTarget: p.ackRate >= 0.98 * pacedRate && p.behind === 0 && p.drainMs <= 2000 && gwResult.verified,
    ...(profile ? { profile } : {}),
  };
}
