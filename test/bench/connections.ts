// Scenario 3, connections: resident memory of the gateway with 1,000 and then 10,000 idle
// simulated devices connected (keepalive 60 s), next to bare aedes holding the same clients
// in the same run. Bytes per device = (RSS with N connected - RSS before any) / N. Heap figures
// are read after a full GC; RSS once memory has settled (idle-memory.ts: V8 has given back the
// young generation it grew while the clients connected, RSS steady), as an idle fleet sits.
// The clients live in load generators of their own.
import { startAedesChild, startGatewayChild, startLoadGen, settledRss, type BenchOptions, type Fleet } from './common.js';
import { settledMemory } from './idle-memory.js';
import type { Child } from './proc.js';
import { sleep } from './proc.js';

// The last step is as many connections as one process may hold here: the open-files hard limit
// of this machine is 20,000 and cannot be raised (no CAP_SYS_RESOURCE, so neither ulimit nor
// prlimit can lift it), which rules out the 100,000-device step in one process. The per-device
// cost from 10,000 to 19,000 is the figure to extrapolate from, next to aedes' in the same run.
export const CONNECTION_STEPS = [1_000, 10_000, 19_000] as const;
// Two load generators share the clients: 10,000 mqtt.js clients in one process are slow to drive.
const LOAD_GENERATORS = 2;

export interface ConnectionStep {
  devices: number;
  rssBytes: number;
  /** (RSS now - RSS before any connection) / devices. */
  bytesPerDevice: number;
  /** (RSS now - RSS at the previous step) / devices added: the cost of one more, without fixed costs. */
  marginalBytesPerDevice: number;
  heapBytesPerDevice: number;
  /** Connections per second while connecting this step. */
  connectRate: number;
  failed: number;
  /** False when memory had not settled within the wait (RSS is then the last reading). */
  settled: boolean;
}

export interface BrokerConnections {
  idleRssBytes: number;
  idleSettled: boolean;
  steps: ConnectionStep[];
}

export interface ConnectionsResult {
  gateway: BrokerConnections;
  aedes: BrokerConnections;
}

/** Most a step waits for memory to settle: V8's memory reducer acts some 10-40 s after the load stops. */
const SETTLE_MAX_MS = 75_000;

/** Heap after a full GC, then RSS once settled. */
async function memoryAt(broker: Child): Promise<{ rss: number; heapUsed: number; settled: boolean }> {
  const gc = await settledRss(broker);
  const { sample, didSettle } = await settledMemory(broker, performance.now(), SETTLE_MAX_MS);
  return { rss: sample.rss, heapUsed: gc.heapUsed, settled: didSettle };
}

async function measure(o: BenchOptions, name: string, broker: Child, port: number, fleet: Fleet, steps: readonly number[]): Promise<BrokerConnections> {
  const gens = await Promise.all(Array.from({ length: LOAD_GENERATORS }, () => startLoadGen(o)));
  try {
    await sleep(1000);
    const idle = await memoryAt(broker);
    const out: BrokerConnections = { idleRssBytes: idle.rss, idleSettled: idle.settled, steps: [] };
    let done = 0;
    let prevRss = idle.rss;
    for (const n of steps) {
      const batch = fleet.devices.slice(done, n);
      const t0 = performance.now();
      const parts = gens.map((g, i) => batch.filter((_, j) => j % gens.length === i));
      const results = await Promise.all(
        gens.map((g, i) => g.request<{ connected: number; failed: number; firstError?: string }>({ type: 'connect', port, devices: parts[i]!, keepalive: 60, concurrency: 100 }, 'connected', 300_000)),
      );
      const ms = performance.now() - t0;
      const failed = results.reduce((s, r) => s + r.failed, 0);
      if (failed) o.log(`  ${name}: ${failed} connections failed (${results.find((r) => r.firstError)?.firstError})`);
      // Let the connect-time work (status points, outbox commits) settle before reading memory.
      await sleep(3000);
      const mem = await memoryAt(broker);
      const step: ConnectionStep = {
        devices: n - failed,
        rssBytes: mem.rss,
        bytesPerDevice: Math.round((mem.rss - idle.rss) / (n - failed)),
        marginalBytesPerDevice: Math.round((mem.rss - prevRss) / (n - done - failed)),
        heapBytesPerDevice: Math.round((mem.heapUsed - idle.heapUsed) / (n - failed)),
        connectRate: Math.round((batch.length / ms) * 1000),
        failed,
        settled: mem.settled,
      };
      out.steps.push(step);
      done = n;
      prevRss = mem.rss;
      o.log(`  ${name} ${n} devices: RSS ${(mem.rss / 2 ** 20).toFixed(1)} MiB${mem.settled ? '' : ' (NOT settled)'} (idle ${(idle.rss / 2 ** 20).toFixed(1)}), ${step.bytesPerDevice} B/device (marginal ${step.marginalBytesPerDevice}, heap ${step.heapBytesPerDevice}), ${step.connectRate} connects/s`);
    }
    await Promise.all(gens.map((g) => g.request({ type: 'disconnect' }, 'disconnected', 60_000)));
    return out;
  } finally {
    await Promise.all(gens.map((g) => g.stop()));
  }
}

export async function runConnections(o: BenchOptions, fleet: Fleet): Promise<ConnectionsResult> {
  const steps = o.quick ? [1_000] : [...CONNECTION_STEPS];
  if (fleet.devices.length < steps.at(-1)!) throw new Error('connections: the fleet is too small');
  o.log(`connections: ${steps.join(' then ')} idle devices, keepalive 60 s`);
  const gw = await startGatewayChild(o, fleet, 'bench_connections');
  let gateway: BrokerConnections;
  try {
    gateway = await measure(o, 'gateway', gw.child, gw.mqttPort, fleet, steps);
  } finally {
    await gw.stop();
  }
  const aedes = await startAedesChild(o);
  let bare: BrokerConnections;
  try {
    bare = await measure(o, 'aedes', aedes.child, aedes.mqttPort, fleet, steps);
  } finally {
    await aedes.stop();
  }
  return { gateway, aedes: bare };
}
