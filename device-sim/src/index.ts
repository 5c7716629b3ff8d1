// Device simulator: realistic sector telemetry, camera detections and status over MQTT,
// with composable fault scenarios, a seeded (repeatable) message sequence and a fleet
// registry generator. `start` is the command line in-process.
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { loadRegistry, parseRegistry, RegistryError, type RegistryFile } from '../../gateway/src/protocol/index.js';
import { parseCliArgs, resolveOptions, SimOptionsError, type PublishedMessage, type ResolvedOptions, type SimOptions } from './args.js';
import { describeScenario, ScenarioError } from './scenarios.js';
import { generateRegistry, registryToYaml } from './fleet.js';
import { buildGenerator, devicesFromRegistry, type SimDevice, type SimGenerator } from './generator.js';
import type { SimStats } from './progress.js';
import { formatRecordLine, openRecorder, type Recorder } from './record.js';
import { runLive, type SimHandle } from './runner.js';

export { HELP, parseCliArgs, resolveOptions, SimOptionsError, wantsHelp, type PublishedMessage, type ResolvedOptions, type SimOptions } from './args.js';
export { generateRegistry, makeCreditCode, registryToYaml, type FleetOptions, type FleetSector } from './fleet.js';
export { buildGenerator, devicesFromRegistry, type GeneratorConfig, type SimDevice, type SimGenerator, type SimMessage, type SimSlot } from './generator.js';
export { parseScenario, ScenarioError, SCENARIO_NAMES, MALFORMED_KINDS, type MalformedKind, type ScenarioSpec } from './scenarios.js';
export { createRng, type Rng } from './prng.js';
export { formatRecordLine, type RecordLine } from './record.js';
export type { SimStats } from './progress.js';
export type { SimHandle } from './runner.js';

function toOptions(args: Partial<SimOptions> | readonly string[]): ResolvedOptions {
  if (Array.isArray(args)) {
    const o = resolveOptions(parseCliArgs(args as readonly string[]));
    // The command line reports on stdout.
    return { ...o, output: o.output ?? process.stdout };
  }
  return resolveOptions(args as Partial<SimOptions>);
}

function fleetRegistry(o: ResolvedOptions): RegistryFile {
  if (o.registry === undefined) return generateRegistry({ ...o.fleet, seed: o.seed });
  try {
    const reg = typeof o.registry === 'string' ? loadRegistry(o.registry) : parseRegistry(o.registry, 'registry option');
    return { sites: reg.sites };
  } catch (err) {
    if (err instanceof RegistryError) throw new SimOptionsError([`--registry: ${err.message}`]);
    throw err;
  }
}

interface Prepared {
  registry: RegistryFile;
  devices: SimDevice[];
  makeGenerator(startTime: number): SimGenerator;
}

function prepare(o: ResolvedOptions, devices: SimDevice[], registry: RegistryFile): Prepared {
  const makeGenerator = (startTime: number): SimGenerator =>
    buildGenerator({
      devices,
      seed: o.seed,
      rate: o.rate,
      startTime,
      scenarios: o.scenarios,
      ...(o.scenarioDevices ? { scenarioDevices: o.scenarioDevices } : {}),
    });
  try {
    // Built once up front so that scenario problems surface before any connection.
    makeGenerator(typeof o.startTime === 'number' ? o.startTime : Date.now());
  } catch (err) {
    if (err instanceof ScenarioError) throw new SimOptionsError(err.message.split('\n'));
    throw err;
  }
  return { registry, devices, makeGenerator };
}

/**
 * The message sequence of a run without a broker. Same seed and options: the same
 * messages, byte for byte. Options as for `start` (fleet, seed, startTime, rate, scenarios).
 */
export function createGenerator(opts: Partial<SimOptions> = {}): SimGenerator {
  const o = resolveOptions(opts);
  const registry = fleetRegistry(o);
  const p = prepare(o, devicesFromRegistry(registry), registry);
  return p.makeGenerator(typeof o.startTime === 'number' ? o.startTime : Date.now());
}

function finishedHandle(seed: string, stats: SimStats): SimHandle {
  return { seed, stats: () => ({ ...stats }), stop: async () => undefined, done: Promise.resolve() };
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

function dryRun(o: ResolvedOptions, p: Prepared, recorder: Recorder | undefined): SimHandle {
  const stats: SimStats = { sent: 0, acked: 0, errors: 0, reconnects: 0, connected: 0, rejectedConnects: 0, skipped: 0 };
  const gen = p.makeGenerator(typeof o.startTime === 'number' ? o.startTime : Date.now());
  let stopping = false;
  const run = async (): Promise<void> => {
    let readings = 0;
    // Bounded: --dry-run requires --count or --duration, and silent periods are finite.
    while (!stopping) {
      const slot = gen.nextSlot();
      if (o.duration !== undefined && slot.at >= o.duration) break;
      if (!slot.silent) readings++;
      for (const m of slot.messages) {
        const body = typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload);
        const receivedAt = gen.startTime + Math.floor(m.at);
        stats.sent++;
        o.onPublish?.({ ...m, body, receivedAt } satisfies PublishedMessage);
        recorder?.write(m.topic, m.payload, receivedAt);
        if (o.output && !o.quiet) await write(o.output, formatRecordLine(m.topic, m.payload, receivedAt));
      }
      if (o.count !== undefined && readings >= o.count) break;
      // Let stop() and I/O in between long runs.
      if (slot.index % 10_000 === 9_999) await new Promise((r) => setImmediate(r));
    }
    await recorder?.close();
  };
  const done = run();
  done.catch(() => undefined);
  return {
    seed: o.seed,
    stats: () => ({ ...stats }),
    stop: async () => {
      stopping = true;
      await done.catch(() => undefined);
    },
    done,
  };
}

/**
 * Starts a run: from command-line words (`npm run sim -- ...`) or an options object.
 * Rejects with SimOptionsError for bad options. With `writeRegistry` it writes the file
 * and returns a handle that is already done.
 */
export async function start(args: Partial<SimOptions> | string[]): Promise<SimHandle> {
  const o = toOptions(args);
  const registry = fleetRegistry(o);
  const say = (line: string): void => {
    if (o.output && !o.quiet) o.output.write(`${line}\n`);
  };
  if (o.writeRegistry !== undefined) {
    try {
      await writeFile(o.writeRegistry, registryToYaml(registry));
    } catch (err) {
      throw new SimOptionsError([`--write-registry: cannot write ${o.writeRegistry}: ${(err as Error).message}`]);
    }
    const n = registry.sites.reduce((s, site) => s + site.devices.length, 0);
    say(`wrote ${o.writeRegistry}: ${registry.sites.length} sites, ${n} devices (seed ${o.seed})`);
    return finishedHandle(o.seed, { sent: 0, acked: 0, errors: 0, reconnects: 0, connected: 0, rejectedConnects: 0, skipped: 0 });
  }

  const all = devicesFromRegistry(registry);
  const devices = o.dryRun ? all : all.filter((d) => d.secret !== undefined);
  const hashedOnly = all.length - devices.length;
  if (devices.length === 0) {
    throw new SimOptionsError([`--registry: none of the ${all.length} devices has a plain "secret", so none can connect`]);
  }
  const p = prepare(o, devices, registry);
  const recorder = o.record !== undefined ? await openRecorder(o.record).catch((err: Error) => Promise.reject(new SimOptionsError([err.message]))) : undefined;
  if (o.dryRun) return dryRun(o, p, recorder);

  const sites = new Set(devices.map((d) => d.site)).size;
  const banner = [
    `device-sim: ${devices.length} devices on ${sites} sites -> ${o.url}, ${o.rate}/s, qos ${o.qos}, ` +
      `seed ${o.seed}${o.seedGiven ? '' : ' (drawn; pass --seed to repeat)'}` +
      (o.duration !== undefined ? `, for ${o.duration / 1000}s` : '') +
      (o.count !== undefined ? `, ${o.count} readings` : ''),
    ...(hashedOnly ? [`device-sim: ${hashedOnly} devices have only a secretHash and are left out`] : []),
    ...o.scenarios.map((s) => `device-sim: scenario ${describeScenario(s)}`),
  ];
  return runLive({ opts: o, devices, makeGenerator: p.makeGenerator, ...(recorder ? { recorder } : {}), banner });
}

export * from './vendors/index.js';
