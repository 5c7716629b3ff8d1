// Scenario `idle`: resident memory of an idle gateway (what `npm start` runs, no device
// connected) with a small and a large registry, next to bare aedes in the same run. Nothing
// forces a GC: the figure is what the process holds as it sits. V8 grows the young generation
// to its cap during start-up and gives it back only when its memory reducer runs (some 10-40 s
// after start, once allocation is low), so the bench reads memory 5 s after "ready" and again
// once it has settled: new space back to a few MiB and RSS steady between two polls, and not
// before the engine state's first periodic save (30 s after start), which is part of sitting
// idle: a reading taken before it (as early as 19-28 s) missed what the save leaves.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRegistry, registryToYaml } from '../../device-sim/src/index.js';
import { startAedesChild, startGatewayChild, type BenchOptions, type Fleet } from './common.js';
import { sleep, type Child } from './proc.js';

/** Registry sizes measured: a small plant, and the registry of the 10,000-device target. */
export const IDLE_REGISTRY_SIZES = [3, 10_000] as const;
const FIRST_READ_S = 5;
/** The gateway saves its engine state 30 s after start (app.ts `engine-state-save`); settle after it. */
const NOT_SETTLED_BEFORE_S = 33;
const POLL_MS = 2000;
/** New space at or under this counts as given back (its floor is well under 1 MiB; the start-up cap 32). */
const NEW_SPACE_SETTLED = 4 * 2 ** 20;

export interface MemSample {
  /** Seconds since the process said it was ready. */
  atS: number;
  rss: number;
  /** Anonymous (heap, stacks, malloc) and file-backed (the node binary, shared libraries) parts of the RSS. */
  anon: number;
  file: number;
  heapUsed: number;
  external: number;
  /** Committed (resident) bytes of V8's spaces. */
  newSpace: number;
  oldSpace: number;
  codeSpace: number;
  largeObjects: number;
}

export interface IdleFigures {
  /** 3 for the small plant; 0 for bare aedes, which has no registry. */
  registered: number;
  early: MemSample;
  settled: MemSample;
  /** False when memory had not settled within the wait; `settled` is then the last reading. */
  didSettle: boolean;
}

/** What one more registered device costs: the settled difference between the smallest and largest registry. */
export interface PerRegisteredDevice {
  from: number;
  to: number;
  rssBytes: number;
  heapBytes: number;
}

export interface IdleMemoryResult {
  gateway: IdleFigures[];
  perDevice: PerRegisteredDevice | null;
  aedes: IdleFigures;
  nodeFlags: string[];
  nodeEnv: Record<string, string>;
}

type MemReport = { rss: number; heapUsed: number; external: number; spaces: Record<string, { committed: number; used: number }> };

function rollup(pid: number): { anon: number; file: number } {
  // smaps_rollup (Linux >= 4.14); elsewhere the split is left at zero.
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { anon: kb('Anonymous'), file: kb('Rss') - kb('Anonymous') };
  } catch {
    return { anon: 0, file: 0 };
  }
}

/** One reading of a bench child's memory (gateway-child.mjs / aedes-child.mjs `mem`), no GC first. */
export async function readMemory(child: Child, readyAt: number): Promise<MemSample> {
  const m = await child.request<MemReport>({ type: 'mem' }, 'mem', 30_000);
  const space = (name: string) => m.spaces[name]?.committed ?? 0;
  return {
    atS: Math.round((performance.now() - readyAt) / 100) / 10,
    rss: m.rss,
    ...rollup(child.pid),
    heapUsed: m.heapUsed,
    external: m.external,
    newSpace: space('new_space'),
    oldSpace: space('old_space'),
    codeSpace: space('code_space'),
    largeObjects: space('large_object_space'),
  };
}

/**
 * Polls until V8 has given back the young generation and RSS moved by less than 1 MiB since the
 * previous poll, or `maxMs` passed. Bounded in time; no GC is forced.
 */
export async function settledMemory(child: Child, readyAt: number, maxMs: number, notBeforeS = 0): Promise<{ sample: MemSample; didSettle: boolean }> {
  const until = performance.now() + maxMs;
  let prev = await readMemory(child, readyAt);
  while (performance.now() < until) {
    await sleep(POLL_MS);
    const now = await readMemory(child, readyAt);
    if (now.atS >= notBeforeS && now.newSpace <= NEW_SPACE_SETTLED && Math.abs(now.rss - prev.rss) < 2 ** 20) return { sample: now, didSettle: true };
    prev = now;
  }
  return { sample: prev, didSettle: false };
}

/** A registry of exactly `devices` tank-farm sensors (at most 100 a site), secrets in clear like the bench fleet's. */
function registryOf(dir: string, devices: number): Fleet {
  const perSite = Math.min(devices, 100);
  const registry = generateRegistry({ sites: Math.ceil(devices / perSite), devicesPerSite: perSite, sector: 'hazardous_chemicals', seed: 'bench-idle' });
  const registryPath = join(dir, `registry-${devices}.yaml`);
  writeFileSync(registryPath, registryToYaml(registry));
  return { registryPath, devices: [] };
}

async function measure(child: Child, registered: number, maxMs: number, notBeforeS: number): Promise<IdleFigures> {
  const readyAt = performance.now();
  await sleep(FIRST_READ_S * 1000);
  const early = await readMemory(child, readyAt);
  const { sample, didSettle } = await settledMemory(child, readyAt, maxMs, notBeforeS);
  return { registered, early, settled: sample, didSettle };
}

const fmtN = (n: number) => n.toLocaleString('en-US');

export function perRegisteredDevice(gateway: IdleFigures[]): PerRegisteredDevice | null {
  const small = gateway[0];
  const large = gateway.at(-1);
  if (!small || !large || large.registered <= small.registered) return null;
  const n = large.registered - small.registered;
  return { from: small.registered, to: large.registered, rssBytes: Math.round((large.settled.rss - small.settled.rss) / n), heapBytes: Math.round((large.settled.heapUsed - small.settled.heapUsed) / n) };
}

const mibOf = (b: number) => (b / 2 ** 20).toFixed(1);
const line = (name: string, f: IdleFigures) =>
  `  ${name}: RSS ${mibOf(f.early.rss)} MiB at ${f.early.atS} s, ${mibOf(f.settled.rss)} MiB ${f.didSettle ? 'settled' : 'NOT settled'} at ${f.settled.atS} s (new space ${mibOf(f.settled.newSpace)}, old ${mibOf(f.settled.oldSpace)}, anon ${mibOf(f.settled.anon)}, file ${mibOf(f.settled.file)})`;

export async function runIdleMemory(o: BenchOptions): Promise<IdleMemoryResult> {
  const sizes = o.quick ? [IDLE_REGISTRY_SIZES[0]] : [...IDLE_REGISTRY_SIZES];
  const maxMs = o.quick ? 45_000 : 90_000;
  o.log(`idle memory: gateway with ${sizes.join(' and ')} registered devices, none connected, then bare aedes; read ${FIRST_READ_S} s after ready and once settled, the gateway not before ${NOT_SETTLED_BEFORE_S} s (its first engine-state save) (at most ${maxMs / 1000} s)`);
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-idle-'));
  try {
    const gateway: IdleFigures[] = [];
    for (const n of sizes) {
      const gw = await startGatewayChild(o, registryOf(dir, n), 'bench_idle');
      try {
        const f = await measure(gw.child, n, maxMs, NOT_SETTLED_BEFORE_S);
        gateway.push(f);
        o.log(line(`gateway, ${n} registered`, f));
      } finally {
        await gw.stop();
      }
    }
    const aedes = await startAedesChild(o);
    let bare: IdleFigures;
    try {
      bare = await measure(aedes.child, 0, maxMs, 0);
      o.log(line('aedes', bare));
    } finally {
      await aedes.stop();
    }
    const perDevice = perRegisteredDevice(gateway);
    if (perDevice) o.log(`  per registered device: ${perDevice.rssBytes} B of RSS, ${perDevice.heapBytes} B of heap used (settled, ${fmtN(perDevice.from)} -> ${fmtN(perDevice.to)} registered)`);
    return { gateway, aedes: bare, perDevice, nodeFlags: o.nodeFlags, nodeEnv: o.nodeEnv };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
