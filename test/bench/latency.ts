// Scenario 2, alert latency: from the publish of a violating reading to the transition on the
// SSE stream (GET /api/events/stream) and on the MQTT event topic (supervision/events/{site},
// subscribed as a supervisor account), under 1,000 and 5,000 readings/s of background load
// that violates nothing. Each probe is a device of its own publishing gas_lel = 60 %LEL
// (hazchem.combustible-gas: critical at >= 50, raised at once, `for: 0`), so every probe
// raises a new event and no clear-down has to be waited for. Probes and both receivers live
// in this process (one clock); the background load in a load generator of its own.
import { connect as tcpConnect } from 'node:net';
import { MqttClient } from 'mqtt';
import { openSse } from '../helpers/sse.js';
import { startGatewayChild, startLoadGen, type BenchOptions, type Fleet } from './common.js';
import type { BenchDevice, PublishResult } from './load-gen.js';
import { cpuMeter, percentile, sleep } from './proc.js';

export const LATENCY_LOADS = [1_000, 5_000] as const;
const BACKGROUND_CONNECTIONS = 32;
const PROBE_TIMEOUT_MS = 5_000;

export interface LatencyStats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  timeouts: number;
}

export interface LatencyLevel {
  backgroundRate: number;
  /** What the background load achieved (PUBACKs/s). */
  backgroundAchieved: number;
  probes: number;
  sse: LatencyStats;
  mqtt: LatencyStats;
  gatewayCores: number;
  /** The gateway's event loop during the probes (perf_hooks histogram) and its GC pauses: what the tail is made of. */
  loop: LoopFigures;
}

export interface LoopFigures {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
}

export interface LatencyResult {
  levels: LatencyLevel[];
}

function stats(samples: number[], timeouts: number): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: s.length, p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), max: r(s.at(-1) ?? NaN), timeouts };
}

function client(port: number, id: string, username: string, password: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = new MqttClient(() => {
      const s = tcpConnect({ host: '127.0.0.1', port });
      s.setNoDelay(true);
      return s;
    }, { protocolVersion: 4, clientId: id, username, password, keepalive: 60, reconnectPeriod: 0, connectTimeout: 30_000, clean: true });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

export async function runLatency(o: BenchOptions, fleet: Fleet): Promise<LatencyResult> {
  const probesPerLevel = o.quick ? 60 : 300;
  const background = fleet.devices.slice(0, BACKGROUND_CONNECTIONS);
  // Probe devices come from the far end of the fleet, one per probe.
  const probeDevices = fleet.devices.slice(-probesPerLevel * LATENCY_LOADS.length);
  if (probeDevices.length < probesPerLevel * LATENCY_LOADS.length) throw new Error('latency: the fleet is too small for the probes');
  o.log(`latency: ${probesPerLevel} probes at each of ${LATENCY_LOADS.join(' and ')} readings/s background`);

  const gw = await startGatewayChild(o, fleet, 'bench_latency');
  const load = await startLoadGen(o);
  const probes: MqttClient[] = [];
  let events: MqttClient | undefined;
  let sse: Awaited<ReturnType<typeof openSse>> | undefined;
  const levels: LatencyLevel[] = [];
  try {
    const user = await gw.api('/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench-supervisor', role: 'supervisor' }) });
    if (user.status !== 201) throw new Error(`latency: POST /api/users answered ${user.status}: ${JSON.stringify(user.body)}`);
    const token = user.body.token as string;
    sse = await openSse(`${gw.httpUrl}/api/events/stream`, { token });
    if (sse.status !== 200) throw new Error(`latency: SSE stream answered ${sse.status}`);

    // MQTT receipt times by device; a waiter per probe.
    const mqttWaiters = new Map<string, (at: number) => void>();
    events = await client(gw.mqttPort, 'bench-supervisor', 'bench-supervisor', token);
    events.on('message', (_topic, payload) => {
      const at = performance.now();
      let m: { type?: string; event?: { device?: string } };
      try {
        m = JSON.parse(payload.toString()) as typeof m;
      } catch {
        return;
      }
      if (m.type === 'raised' && m.event?.device) mqttWaiters.get(m.event.device)?.(at);
    });
    await events.subscribeAsync('supervision/events/#', { qos: 1 });
    const sseWaiters = new Map<string, (at: number) => void>();
    let seen = 0;
    const sseClient = sse;
    // The SSE helper keeps every message; look only at the new ones, as they arrive.
    const pollSse = () => {
      const at = performance.now();
      for (; seen < sseClient.messages.length; seen++) {
        const m = sseClient.messages[seen]!;
        if (m.json?.type === 'raised' && m.json?.event?.device) sseWaiters.get(m.json.event.device)?.(at);
      }
    };
    // openSse notifies through until(); hook a listener that never matches and check new messages.
    void sseClient.until(() => (pollSse(), false), 3_600_000).catch(() => undefined);

    for (const d of probeDevices) probes.push(await client(gw.mqttPort, d.id, d.id, d.secret));
    const c = await load.request<{ connected: number }>({ type: 'connect', port: gw.mqttPort, devices: background, keepalive: 60, concurrency: 32 }, 'connected');
    if (c.connected !== background.length) throw new Error('latency: background devices could not connect');

    let next = 0;
    for (const rate of LATENCY_LOADS) {
      const publishing = load.request<PublishResult>(
        { type: 'publish', mode: 'paced', rate, window: 64, durationMs: 600_000, maxMessages: 10_000_000, metric: 'gas_lel', lo: 1, hi: 8 },
        'published',
        700_000,
      );
      await sleep(o.quick ? 1000 : 2000);
      const meter = cpuMeter(gw.child.pid);
      await gw.child.request({ type: 'loop-start' }, 'loop-started', 10_000);
      const sseLat: number[] = [];
      const mqttLat: number[] = [];
      let sseTimeouts = 0;
      let mqttTimeouts = 0;
      for (let i = 0; i < probesPerLevel; i++) {
        const dev: BenchDevice = probeDevices[next]!;
        const probe = probes[next++]!;
        const wait = (m: Map<string, (at: number) => void>) =>
          new Promise<number | null>((res) => {
            const timer = setTimeout(() => (m.delete(dev.id), res(null)), PROBE_TIMEOUT_MS);
            m.set(dev.id, (at) => (clearTimeout(timer), m.delete(dev.id), res(at)));
          });
        const gotSse = wait(sseWaiters);
        const gotMqtt = wait(mqttWaiters);
        const t0 = performance.now();
        probe.publish(`sites/${dev.site}/devices/${dev.id}/telemetry`, `{"ts":${Date.now()},"metrics":{"gas_lel":60}}`, { qos: 1 });
        const [s, q] = await Promise.all([gotSse, gotMqtt]);
        if (s === null) sseTimeouts++;
        else sseLat.push(s - t0);
        if (q === null) mqttTimeouts++;
        else mqttLat.push(q - t0);
        // Probes spaced 10-30 ms apart, at random, so they do not beat with the load's ticks.
        await sleep(10 + Math.random() * 20);
      }
      const cpu = meter.stop();
      const loop = await gw.child.request<LoopFigures>({ type: 'loop-stop' }, 'loop', 10_000);
      load.process.send({ type: 'stop' });
      const bg = await publishing;
      const level: LatencyLevel = {
        backgroundRate: rate,
        backgroundAchieved: Math.round((bg.acked / bg.elapsedMs) * 1000),
        probes: probesPerLevel,
        sse: stats(sseLat, sseTimeouts),
        mqtt: stats(mqttLat, mqttTimeouts),
        gatewayCores: Math.round(cpu.cores * 100) / 100,
        loop: { p50: loop.p50, p99: loop.p99, p999: loop.p999, max: loop.max, gcCount: loop.gcCount, gcTotalMs: loop.gcTotalMs, gcMaxMs: loop.gcMaxMs },
      };
      levels.push(level);
      o.log(`  ${rate}/s: SSE p50 ${level.sse.p50} p99 ${level.sse.p99} max ${level.sse.max} ms; MQTT p50 ${level.mqtt.p50} p99 ${level.mqtt.p99} max ${level.mqtt.max} ms (background ${level.backgroundAchieved}/s); event loop delay p99 ${loop.p99} max ${loop.max} ms, ${loop.gcCount} GCs, longest ${loop.gcMaxMs} ms`);
      await sleep(500);
    }
    await load.request({ type: 'disconnect' }, 'disconnected');
  } finally {
    sse?.close();
    await Promise.all([...probes, ...(events ? [events] : [])].map((c) => c.endAsync(true).catch(() => undefined)));
    await load.stop();
    await gw.stop();
  }
  return { levels };
}
