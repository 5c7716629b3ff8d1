// What the scenarios share: the bench fleet (a generated registry with plain secrets), the
// gateway and the bare-aedes baseline as child processes, and load generators.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateRegistry, registryToYaml } from '../../device-sim/src/index.js';
import type { BenchDevice } from './load-gen.js';
import { spawnTs, type Child } from './proc.js';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';

export interface BenchOptions {
  quick: boolean;
  profile: boolean;
  /** Where --cpu-prof writes its profile. */
  workDir: string;
  influxUrl: string;
  /** Echo child output (debugging). */
  verbose: boolean;
  /** Run the gateway's sources through tsx instead of the compiled dist/ that npm start runs. */
  tsx: boolean;
  /** Node/V8 flags of the gateway child: by default those of `npm start` (startScriptNodeFlags). */
  nodeFlags: string[];
  /** Environment the gateway child starts with: by default what `npm start` sets (startScriptEnv). */
  nodeEnv: Record<string, string>;
  log(line: string): void;
}

/**
 * The node flags `npm start` runs the gateway with (package.json scripts.start, the words
 * between `node` and `scripts/run.mjs`), so the bench measures the same heap configuration.
 */
export function startScriptNodeFlags(): string[] {
  const words = startScriptWords();
  const from = words.indexOf('node') + 1;
  const to = words.indexOf('scripts/run.mjs');
  return from > 0 && to > from ? words.slice(from, to) : [];
}

/** The `NAME=value` assignments before `node` in package.json scripts.start (e.g. glibc malloc settings). */
export function startScriptEnv(): Record<string, string> {
  const words = startScriptWords();
  const before = words.slice(0, Math.max(0, words.indexOf('node')));
  return Object.fromEntries(before.filter((w) => /^[A-Z_][A-Z0-9_]*=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
}

function startScriptWords(): string[] {
  const pkg = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { scripts: Record<string, string> };
  return pkg.scripts.start!.split(/\s+/);
}

export interface Fleet {
  registryPath: string;
  devices: BenchDevice[];
}

/**
 * `sites` x 100 hazardous-chemical tank-farm sensors with plain secrets: a hash (scrypt, ~50 ms a
 * check) would make connecting 10,000 devices a bench of scrypt instead of the broker.
 */
export function benchFleet(dir: string, devices: number): Fleet {
  const perSite = 100;
  const registry = generateRegistry({ sites: Math.ceil(devices / perSite), devicesPerSite: perSite, sector: 'hazardous_chemicals', seed: 'bench' });
  const registryPath = join(dir, 'registry.yaml');
  writeFileSync(registryPath, registryToYaml(registry));
  const list: BenchDevice[] = registry.sites.flatMap((s) => s.devices.map((d) => ({ id: d.id, site: s.id, secret: d.secret ?? '' })));
  return { registryPath, devices: list.slice(0, devices) };
}

export interface GatewayChild {
  child: Child;
  mqttPort: number;
  httpUrl: string;
  dataDir: string;
  api(path: string, init?: RequestInit & { token?: string }): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/**
 * Compiles dist/ when a source is newer (as `npm start` does), so the bench measures what
 * `npm start` runs; with --tsx the bench runs the sources instead and this is skipped.
 */
export function ensureCompiled(o: BenchOptions): void {
  if (o.tsx) return;
  const r = spawnSync(process.execPath, [resolve('scripts/run.mjs'), '--build'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('could not compile the gateway into dist/ (scripts/run.mjs --build)');
}

/** The gateway (what `npm start` runs, through gateway-child.mjs) in its own process. */
export async function startGatewayChild(o: BenchOptions, fleet: Fleet, database: string, extra: { cpuProf?: boolean; env?: Record<string, string> } = {}): Promise<GatewayChild> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  ensureCompiled(o);
  const child = spawnTs('test/bench/gateway-child.mjs', {
    nodeArgs: ['--expose-gc', ...o.nodeFlags, ...(extra.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.workDir}`] : [])],
    echo: o.verbose,
    tsx: o.tsx,
    env: {
      ...o.nodeEnv,
      ...(o.tsx ? { BENCH_GATEWAY_MAIN: 'gateway/src/main.ts' } : {}),
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_MQTT_PORT: '0',
      GATEWAY_HTTP_PORT: '0',
      GATEWAY_MQTT_WS: 'off',
      GATEWAY_DATA_DIR: dataDir,
      GATEWAY_RULES_DIR: resolve('rules'),
      GATEWAY_REGISTRY: fleet.registryPath,
      GATEWAY_API_TOKEN: ADMIN_TOKEN,
      // The bench connects thousands of devices from one address: no per-address connection limit.
      GATEWAY_MQTT_CONN_PER_SECOND: '0',
      GATEWAY_LOG_LEVEL: 'warn',
      GATEWAY_STOP_TIMEOUT: '30s',
      INFLUX_URL: o.influxUrl,
      INFLUX_DATABASE: database,
      ...extra.env,
    },
  });
  const m = await child.waitFor(/gateway ready: MQTT on port (\d+), HTTP at (\S+) /, 90_000);
  const httpUrl = m[2]!;
  return {
    child,
    mqttPort: Number(m[1]),
    httpUrl,
    dataDir,
    async api(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${init.token ?? ADMIN_TOKEN}`);
      const res = await fetch(httpUrl + path, { ...init, headers, signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body };
    },
    async stop() {
      const r = await child.stop('SIGTERM', 40_000);
      if (r.code !== 0) o.log(`  (gateway exited with ${r.code ?? r.signal})`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface AedesChild {
  child: Child;
  mqttPort: number;
  stop(): Promise<void>;
}

export async function startAedesChild(o: BenchOptions): Promise<AedesChild> {
  const child = spawnTs('test/bench/aedes-child.mjs', { nodeArgs: ['--expose-gc'], echo: o.verbose });
  const m = await child.waitFor(/aedes ready: MQTT on port (\d+)/, 60_000);
  return {
    child,
    mqttPort: Number(m[1]),
    async stop() {
      await child.stop('SIGTERM', 10_000);
    },
  };
}

export async function startLoadGen(o: BenchOptions): Promise<Child> {
  const child = spawnTs('test/bench/load-gen.ts', { echo: o.verbose });
  await child.message('ready', 60_000);
  return child;
}

/** Full GC in the child (gateway-child / aedes-child), then its RSS as the kernel reports it. */
export async function settledRss(child: Child): Promise<{ rss: number; heapUsed: number; external: number }> {
  return child.request<{ rss: number; heapUsed: number; external: number }>({ type: 'gc' }, 'gc', 30_000);
}
