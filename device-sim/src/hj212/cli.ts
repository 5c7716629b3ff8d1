// `npm run sim -- --protocol hj212`: HJ 212 loggers over TCP (see --help).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { loadRegistry, type RegistryFile } from '../../../gateway/src/protocol/index.js';
import { parseDuration } from '../duration.js';
import { createRng } from '../prng.js';
import { framesBetween, HJ212_SCENARIOS, type Hj212Scenario, type SimLoggerSpec } from './frames.js';
import { runHj212 } from './runner.js';

export const HJ212_HELP = `Usage: npm run sim -- --protocol hj212 [options]

HJ 212-2017 pollution-source data loggers (数采仪) over TCP, byte-exact and repeatable:
2011 real-time data every --interval, 2051 minute data each minute, 2061 hourly data each hour.

  --registry FILE        loggers: the registry's protocol: hj212 devices with a plain hj212.password
  --write-registry FILE  write a registry of --loggers N new loggers (plain PWs, for development) and stop
  --loggers N            with --write-registry (default 1)
  --host H --port P      the gateway's GATEWAY_HJ212_PORT (default 127.0.0.1:9212)
  --interval D           real-time period, a divisor of 60s (default 30s)
  --backfill D           start this far in the past and catch up (default 0)
  --duration D           stop after this much logger time (default: until Ctrl-C)
  --seed S               same seed, same bytes (default hj212)
  --scenario NAME[=ID,ID] one of ${HJ212_SCENARIOS.join(', ')}; without IDs, every logger:
                           cod-high  COD ~150 mg/L: over its hourly limit (100 mg/L)
                           fault     COD flagged D (instrument fault): stored, never compared
                           crc       every fifth real-time frame has a corrupted CRC
                           split     hourly frames in two parts (PNUM/PNO)
                           modbus    Modbus CRC-16 instead of the HJ 212 CRC
                           outage    the link drops --outage-at after the start for --outage-for,
                                     then the logger re-sends what it buffered
  --outage-at D --outage-for D  (default 1m and 2m)
  --dry-run              print the frames instead of connecting (with --duration)
`;

export class Hj212OptionsError extends Error {}

function duration(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === null) throw new Hj212OptionsError(`--${name} "${text}": a duration such as 30s, 5m or 1h`);
  return ms;
}

/** Loggers of a registry: its hj212 devices that carry a plain password. */
export function loggersOf(registry: RegistryFile | string, scenarios: Map<Hj212Scenario, Set<string> | null>): SimLoggerSpec[] {
  const reg = typeof registry === 'string' ? loadRegistry(registry).devices().map((d) => d.entry) : registry.sites.flatMap((s) => s.devices);
  const out: SimLoggerSpec[] = [];
  for (const d of reg) {
    if (d.protocol !== 'hj212' || !d.hj212?.password) continue;
    const mine = new Set<Hj212Scenario>();
    for (const [name, ids] of scenarios) if (ids === null || ids.has(d.id)) mine.add(name);
    out.push({ id: d.id, mn: d.hj212.mn, pw: d.hj212.password, crc: mine.has('modbus') ? 'modbus' : d.hj212.crc, scenarios: mine });
  }
  return out;
}

/** A registry of `n` loggers on one pollution-source site, plain PWs (development only). */
export function hj212Registry(n: number, seed: string, modbus: ReadonlySet<string> = new Set()): RegistryFile {
  const rng = createRng(`${seed}/registry`);
  const devices = Array.from({ length: n }, (_, i) => {
    const id = `hj212-${String(i + 1).padStart(2, '0')}`;
    const mn = `SIM212${String(rng.int(1e8)).padStart(8, '0')}`;
    const password = rng.int(1e6).toString().padStart(6, '0');
    return { id, kind: 'sensor' as const, protocol: 'hj212' as const, hj212: { mn, password, crc: modbus.has(id) ? ('modbus' as const) : ('hj212' as const) } };
  });
  return { sites: [{ id: 'hj212-plant', name: '模拟污水排放口 (simulated wastewater outlet)', sector: 'pollution_source', devices }] };
}

function parseScenarios(list: string[]): Map<Hj212Scenario, Set<string> | null> {
  const out = new Map<Hj212Scenario, Set<string> | null>();
  for (const s of list) {
    const [name, ids] = s.split('=', 2) as [string, string | undefined];
    if (!(HJ212_SCENARIOS as readonly string[]).includes(name)) throw new Hj212OptionsError(`--scenario "${name}": one of ${HJ212_SCENARIOS.join(', ')}`);
    out.set(name as Hj212Scenario, ids ? new Set(ids.split(',')) : null);
  }
  return out;
}

export async function runHj212Cli(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signals?: NodeJS.EventEmitter }): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        protocol: { type: 'string' },
        registry: { type: 'string' },
        'write-registry': { type: 'string' },
        loggers: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        interval: { type: 'string' },
        backfill: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        scenario: { type: 'string', multiple: true },
        'outage-at': { type: 'string' },
        'outage-for': { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(HJ212_HELP);
      return 0;
    }
    const seed = values.seed ?? 'hj212';
    const scenarios = parseScenarios(values.scenario ?? []);
    if (values['write-registry']) {
      const n = Number(values.loggers ?? 1);
      if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Hj212OptionsError('--loggers: a whole number 1-10000');
      const reg = hj212Registry(n, seed, scenarios.get('modbus') ?? (scenarios.has('modbus') ? new Set(Array.from({ length: n }, (_, i) => `hj212-${String(i + 1).padStart(2, '0')}`)) : new Set()));
      writeFileSync(values['write-registry'], stringify(reg));
      io.stdout.write(`wrote ${n} HJ 212 loggers to ${values['write-registry']} (plain PWs: development only)\n`);
      return 0;
    }
    if (!values.registry) throw new Hj212OptionsError('--registry FILE is required (or --write-registry FILE to make one)');
    const loggers = loggersOf(values.registry, scenarios);
    if (loggers.length === 0) throw new Hj212OptionsError(`no protocol: hj212 device with a plain hj212.password in ${values.registry}`);
    const intervalMs = duration('interval', values.interval, 30_000);
    if (intervalMs < 1000 || 60_000 % intervalMs !== 0) throw new Hj212OptionsError('--interval: a divisor of 60s, at least 1s (1s, 5s, 10s, 30s, 1m...)');
    const backfillMs = duration('backfill', values.backfill, 0);
    const durationMs = values.duration === undefined ? undefined : duration('duration', values.duration, 0);
    if (values['dry-run']) {
      if (durationMs === undefined) throw new Hj212OptionsError('--dry-run needs --duration');
      const start = Math.floor((Date.now() - backfillMs) / intervalMs) * intervalMs;
      for (const l of loggers) for (const f of framesBetween(seed, l, start, start + durationMs, intervalMs)) io.stdout.write(f.text);
      return 0;
    }
    const port = Number(values.port ?? 9212);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Hj212OptionsError('--port: 1-65535');
    const run = runHj212({
      host: values.host ?? '127.0.0.1',
      port,
      loggers,
      seed,
      intervalMs,
      backfillMs,
      durationMs,
      outage: { atMs: duration('outage-at', values['outage-at'], 60_000), forMs: duration('outage-for', values['outage-for'], 120_000) },
      ackTimeoutMs: 5000,
      log: (line) => void io.stdout.write(`${line}\n`),
    });
    const stop = () => void run.stop();
    io.signals?.once('SIGINT', stop);
    const timer = setInterval(() => {
      const s = run.stats();
      io.stdout.write(`[hj212] ${loggers.length} loggers: sent ${s.sent}, acknowledged ${s.acked}, re-sent ${s.resent}\n`);
    }, 10_000);
    timer.unref();
    const s = await run.done;
    clearInterval(timer);
    io.signals?.off('SIGINT', stop);
    io.stdout.write(`[hj212] done: sent ${s.sent}, acknowledged ${s.acked}, re-sent ${s.resent}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`device-sim: ${(err as Error).message}\n`);
    return err instanceof Hj212OptionsError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
