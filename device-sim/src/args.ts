import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SECTORS } from '../../gateway/src/protocol/index.js';
import type { RegistryFile } from '../../gateway/src/protocol/index.js';
import { parseDuration } from './duration.js';
import type { FleetSector } from './fleet.js';
import type { SimMessage } from './generator.js';
import { parseScenario, ScenarioError, type ScenarioSpec } from './scenarios.js';

/** A message as it went out: the generated message, its bytes and when it was published. */
export interface PublishedMessage extends SimMessage {
  body: string;
  /** Virtual publication time, ms since the epoch (the record's receivedAt). */
  receivedAt: number;
}

/**
 * Options of a run, as given on the command line (strings) or by a program. Numbers given
 * as numbers are taken as is; a number for `duration` or `progressEvery` is milliseconds,
 * a string takes a unit ("30s", "5m"; a bare number is seconds).
 */
export interface SimOptions {
  /** Broker URL. Default mqtt://127.0.0.1:1883. */
  url: string;
  /** A registry YAML file, or a registry object: the fleet to simulate. */
  registry: string | RegistryFile;
  /** Generated fleet (when no registry): sites, devices per site, sector, cameras per site. */
  sites: number | string;
  devicesPerSite: number | string;
  sector: FleetSector | string;
  camerasPerSite: number | string;
  /** Write the generated registry to this YAML file and stop. */
  writeRegistry: string;
  /** Makes the run repeatable: same seed and options, same messages. */
  seed: string | number;
  /** "now", an ISO 8601 time or epoch ms: the virtual clock of payload timestamps. */
  startTime: string | number;
  /** Readings per second across the fleet. */
  rate: number | string;
  /** How long to publish; absent: until stop() or Ctrl-C. */
  duration: number | string;
  /** Stop after this many readings. */
  count: number | string;
  qos: 0 | 1 | '0' | '1';
  /** MQTT keepalive, seconds. */
  keepalive: number | string;
  /** New connections per second while the fleet connects. */
  connectRate: number | string;
  /** Scenario specs, `[targets=]name[:key=value,...]`. */
  scenarios: string[];
  /** Devices (ids, site ids or globs) that scenarios without their own targets apply to. */
  scenarioDevices: string[] | string;
  /** Append every published message to this NDJSON file. */
  record: string;
  /** Generate without a broker: messages go to onPublish / output as record lines. */
  dryRun: boolean;
  /** Period of the plain progress line when output is not a terminal. */
  progressEvery: number | string;
  /** No progress or summary lines. */
  quiet: boolean;
  /** Where progress, summary and dry-run lines go. Default: none for a program, stdout for the CLI. */
  output: NodeJS.WritableStream;
  /** Called with every message published (or generated, in a dry run). */
  onPublish: (message: PublishedMessage) => void;
}

export interface ResolvedOptions {
  url: string;
  registry?: string | RegistryFile;
  fleet: { sites: number; devicesPerSite: number; sector: FleetSector; camerasPerSite: number };
  writeRegistry?: string;
  seed: string;
  /** False when the seed was drawn at random (printed so the run can be repeated). */
  seedGiven: boolean;
  startTime: number | 'now';
  rate: number;
  duration?: number;
  count?: number;
  qos: 0 | 1;
  keepalive: number;
  connectRate: number;
  scenarios: ScenarioSpec[];
  scenarioDevices?: string[];
  record?: string;
  dryRun: boolean;
  progressEvery: number;
  quiet: boolean;
  output?: NodeJS.WritableStream;
  onPublish?: (message: PublishedMessage) => void;
}

export class SimOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid options:\n  ${problems.join('\n  ')}\nRun with --help for the options.`);
    this.name = 'SimOptionsError';
  }
}

/** With --seed and no --start-time, payload timestamps count from this instant. */
export const SEEDED_START_TIME = Date.parse('2025-01-01T00:00:00Z');
export const MAX_RATE = 100_000;

function numeric(what: string, ok: (n: number) => boolean) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
    if (!Number.isFinite(n) || !ok(n)) {
      ctx.addIssue({ code: 'custom', message: `must be ${what} (got ${JSON.stringify(v)})` });
      return z.NEVER;
    }
    return n;
  });
}

const integer = (min: number, max: number) => numeric(`an integer from ${min} to ${max}`, (n) => Number.isInteger(n) && n >= min && n <= max);

function duration(what: string) {
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : parseDuration(v);
    if (ms === null || !Number.isFinite(ms) || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `must be ${what} such as 500ms, 30s, 5m or 1h (got ${JSON.stringify(v)})` });
      return z.NEVER;
    }
    return ms;
  });
}

const URL_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'];

const optionsSchema = z
  .object({
    url: z
      .string()
      .refine((u) => URL.canParse(u) && URL_PROTOCOLS.includes(new URL(u).protocol), {
        message: `must be a broker URL such as mqtt://127.0.0.1:1883 (${URL_PROTOCOLS.map((p) => p.slice(0, -1)).join(', ')})`,
      })
      .default('mqtt://127.0.0.1:1883'),
    registry: z
      .union([z.string().min(1, 'must be a file name'), z.custom<RegistryFile>((v) => typeof v === 'object' && v !== null && 'sites' in v, 'must be a file name or a registry object')])
      .optional(),
    sites: integer(1, 100_000).optional(),
    devicesPerSite: integer(1, 10_000).optional(),
    sector: z
      .string()
      .refine((s) => s === 'mixed' || (SECTORS as readonly string[]).includes(s), { message: `must be mixed or one of ${SECTORS.join(', ')}` })
      .transform((s) => s as FleetSector)
      .optional(),
    camerasPerSite: integer(0, 10_000).optional(),
    writeRegistry: z.string().min(1, 'must be a file name').optional(),
    seed: z.union([z.string().min(1, 'must not be empty'), z.number()]).transform(String).optional(),
    startTime: z
      .union([z.number(), z.string()])
      .transform((v, ctx) => {
        if (v === 'now') return 'now' as const;
        const t = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : Date.parse(v);
        if (!Number.isInteger(t) || t <= 0) {
          ctx.addIssue({ code: 'custom', message: `must be "now", an ISO 8601 time such as 2025-06-01T08:00:00+08:00, or epoch milliseconds (got ${JSON.stringify(v)})` });
          return z.NEVER;
        }
        return t;
      })
      .optional(),
    rate: numeric(`a number of readings per second above 0, at most ${MAX_RATE}`, (n) => n > 0 && n <= MAX_RATE).default(10),
    duration: duration('a duration').optional(),
    count: integer(1, Number.MAX_SAFE_INTEGER).optional(),
    qos: z
      .union([z.literal(0), z.literal(1), z.literal('0'), z.literal('1')], { error: 'must be 0 or 1' })
      .transform((q) => Number(q) as 0 | 1)
      .default(0),
    keepalive: integer(0, 65_535).default(60),
    connectRate: numeric('a number of connections per second above 0', (n) => n > 0).default(100),
    scenarios: z
      .array(z.string())
      .transform((list, ctx) => {
        const out: ScenarioSpec[] = [];
        list.forEach((text, i) => {
          try {
            out.push(parseScenario(text));
          } catch (err) {
            if (!(err instanceof ScenarioError)) throw err;
            ctx.addIssue({ code: 'custom', path: [i], message: err.message });
          }
        });
        return out;
      })
      .default([]),
    scenarioDevices: z
      .union([z.string(), z.array(z.string())])
      .transform((v, ctx) => {
        const list = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim());
        if (list.length === 0 || list.some((s) => !/^[A-Za-z0-9_.*-]+$/.test(s))) {
          ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of device ids, site ids or globs (got ${JSON.stringify(v)})` });
          return z.NEVER;
        }
        return list;
      })
      .optional(),
    record: z.string().min(1, 'must be a file name').optional(),
    dryRun: z.boolean().default(false),
    progressEvery: duration('a period').default(10_000),
    quiet: z.boolean().default(false),
  })
  .strict();

const FLAGS: Record<string, string> = { scenarios: '--scenario' };

function flagOf(key: PropertyKey | undefined): string {
  if (typeof key !== 'string') return '(options)';
  return FLAGS[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Validates options given as an object (a program) or already mapped from the command line. */
export function resolveOptions(input: Partial<SimOptions>): ResolvedOptions {
  const { output, onPublish, ...rest } = input;
  const parsed = optionsSchema.safeParse(rest);
  if (!parsed.success) {
    throw new SimOptionsError(
      parsed.error.issues.map((i) => {
        if (i.code === 'unrecognized_keys') return `unknown option${i.keys.length > 1 ? 's' : ''} ${i.keys.map(flagOf).join(', ')}`;
        // Scenario messages already quote the scenario.
        if (i.path[0] === 'scenarios' && i.path.length > 1) return `--${i.message}`;
        return `${flagOf(i.path[0])}: ${i.message}`;
      }),
    );
  }
  const o = parsed.data;
  const problems: string[] = [];
  const fleetGiven = o.sites !== undefined || o.devicesPerSite !== undefined || o.sector !== undefined || o.camerasPerSite !== undefined;
  if (o.registry !== undefined && fleetGiven) problems.push('--registry: use either --registry or --sites/--devices-per-site/--sector/--cameras-per-site, not both');
  if (o.registry !== undefined && o.writeRegistry !== undefined) problems.push('--write-registry: writes a generated fleet; it cannot be combined with --registry');
  if (o.dryRun && o.writeRegistry === undefined && o.duration === undefined && o.count === undefined) {
    problems.push('--dry-run: needs --count or --duration, or it would never end');
  }
  if (o.camerasPerSite !== undefined && o.camerasPerSite > (o.devicesPerSite ?? 4)) {
    problems.push(`--cameras-per-site: ${o.camerasPerSite} is more than --devices-per-site ${o.devicesPerSite ?? 4}`);
  }
  if (problems.length) throw new SimOptionsError(problems);

  const seedGiven = o.seed !== undefined;
  const seed = o.seed ?? String(randomInt(1, 2 ** 31));
  return {
    url: o.url,
    ...(o.registry !== undefined ? { registry: o.registry } : {}),
    fleet: { sites: o.sites ?? 1, devicesPerSite: o.devicesPerSite ?? 4, sector: o.sector ?? 'mixed', camerasPerSite: o.camerasPerSite ?? 0 },
    ...(o.writeRegistry !== undefined ? { writeRegistry: o.writeRegistry } : {}),
    seed,
    seedGiven,
    startTime: o.startTime ?? (seedGiven ? SEEDED_START_TIME : 'now'),
    rate: o.rate,
    ...(o.duration !== undefined ? { duration: o.duration } : {}),
    ...(o.count !== undefined ? { count: o.count } : {}),
    qos: o.qos,
    keepalive: o.keepalive,
    connectRate: o.connectRate,
    scenarios: o.scenarios,
    ...(o.scenarioDevices !== undefined ? { scenarioDevices: o.scenarioDevices } : {}),
    ...(o.record !== undefined ? { record: o.record } : {}),
    dryRun: o.dryRun,
    progressEvery: o.progressEvery,
    quiet: o.quiet,
    ...(output ? { output } : {}),
    ...(onPublish ? { onPublish } : {}),
  };
}

const STRING_FLAGS = [
  'url',
  'registry',
  'sites',
  'devices-per-site',
  'sector',
  'cameras-per-site',
  'write-registry',
  'seed',
  'start-time',
  'rate',
  'duration',
  'count',
  'qos',
  'keepalive',
  'connect-rate',
  'scenario-devices',
  'record',
  'progress-every',
] as const;

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** Maps command-line words to options; unknown flags and stray words are refused. */
export function parseCliArgs(argv: readonly string[]): Partial<SimOptions> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])),
        scenario: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    const e = err as Error & { code?: string };
    let msg = e.message;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') msg = `unknown option ${/'([^']+)'/.exec(e.message)?.[1] ?? ''}`.trim();
    else if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') msg = `unexpected argument ${/'([^']+)'/.exec(e.message)?.[1] ?? ''}`.trim();
    else if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') msg = e.message.replace(/^Option '([^ ']+)[^']*' argument missing$/, '$1: needs a value');
    throw new SimOptionsError([msg]);
  }
  const out: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined || flag === 'help') continue;
    const key = flag === 'scenario' ? 'scenarios' : flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    out[key] = value;
  }
  return out as Partial<SimOptions>;
}

export const HELP = `Device simulator: publishes realistic telemetry, vision detections and status over MQTT
for a fleet of supervised sites, as the gateway expects them.

Usage: npm run sim -- [options]

Fleet (one of):
  --registry FILE           simulate the devices of a gateway registry (YAML); devices that
                            have only a secretHash cannot connect and are left out
  --sites N                 generate N sites (default 1) ...
  --devices-per-site M      ... of M devices each (default 4) ...
  --sector S|mixed          ... all of sector S, or mixed: sites take the sectors in turn
                            (default mixed). Sectors: ${SECTORS.join(', ')}
  --cameras-per-site K      the last K devices of each site are cameras (default 0;
                            food_service sites are all cameras)
  --write-registry FILE     write the generated registry (sites sim-0001..., secrets drawn
                            from --seed) to FILE and exit; start the gateway with it, then
                            run the simulator with --registry FILE

Run:
  --url URL                 broker (default mqtt://127.0.0.1:1883). Each device connects
                            with client id = username = its id, password = its secret,
                            and a will {"online":false} on its status topic
  --rate N                  readings per second across the fleet (default 10; up to ${MAX_RATE});
                            devices take turns, each every (devices / rate) seconds
  --duration D              how long to publish, e.g. 30s, 5m, 1h (default: until Ctrl-C);
                            the clock starts once the fleet has connected
  --count N                 stop after N readings
  --qos 0|1                 publish QoS (default 0); with 1, broker acks are counted
  --keepalive S             MQTT keepalive in seconds (default 60)
  --connect-rate N          new connections per second while the fleet connects (default 100)
  --seed S                  repeatable run: the same seed and options give byte-identical
                            payloads in the same order. Without it a seed is drawn and printed
  --start-time T            virtual clock of payload ts: now, an ISO 8601 time or epoch ms.
                            Default now; with --seed, 2025-01-01T00:00:00Z so that timestamps
                            repeat too (a gateway with a clock-skew limit then stamps readings
                            on arrival; pass --start-time now to avoid that). Daily cycles
                            follow this clock in China Standard Time (UTC+8)
  --record FILE             append every published message to FILE as NDJSON lines
                            {"topic", "payload", "receivedAt"} (payload is the raw string
                            when malformed), the format the rule replay command reads
  --dry-run                 no broker: print the messages as record lines on stdout
                            (needs --count or --duration, which then counts virtual time)
  --progress-every D        period of the progress line when stdout is not a terminal
                            (default 10s); on a terminal it is rewritten in place
  -q, --quiet               no progress or summary lines
  -h, --help                this text

Commands: every device subscribes to its commands topic and answers (README "Device commands"):
  a camera's "snapshot" publishes a frame with a JPEG picture now and replies with its SHA-256;
  a sensor's "read" publishes a reading now and replies with its values; others are refused.

Scenarios (repeatable; composable, applied in the order given):
  --scenario [TARGETS=]NAME[:KEY=VALUE,...]
      TARGETS: comma-separated device ids, site ids or globs (sim-0001-*); without them the
      scenario applies to --scenario-devices, or else to every device it fits.
      Every scenario takes at=D (start, after the first reading; default 0) and for=D
      (how long; default to the end) unless noted. Metrics: a METRICS name such as
      gas_lel, ch4, pm10, cod, temperature; default: the sector's main metric.
    normal                             no change (the default behaviour)
    leak:metric=M,to=X,over=D          ramp M from its current value to X over D (default
                                       60s), then hold at X; to defaults past the alarm level
    spike:metric=M,to=X,every=D        M jumps to X at at (default 10s) for one reading, or for
                                       for=D; repeats every D when given
    flap:metric=M,level=X,amp=A,period=D
                                       M oscillates around X (default the alarm level) by A,
                                       with period D (default 20s)
    stuck:metric=M,value=X             M (or every metric) frozen at X or at its value at onset
    silent                             at (default 10s) the device drops off without a clean
                                       disconnect (its will fires), for for=D (default 30s),
                                       then reconnects and sends {"online":true}
    burst:type=T,conf=C,count=N        cameras: every frame holds N (default 2) detections of
                                       type T (default the sector's first) at confidence C
                                       (default 0.9), for for=D (default 10s)
    skew:by=D | skew:ms=N              payload ts shifted by D (signed, e.g. -10m) or N ms
    malformed:share=P,kinds=K+K        a share P (default 0.1) of readings is malformed;
                                       kinds: bad_json, wrong_type, nan_string (default all)
  --scenario-devices LIST   comma-separated targets for scenarios that name none

Examples:
  npm run sim -- --sites 3 --devices-per-site 4 --seed 7 --write-registry sim-registry.yaml
  npm run sim -- --registry sim-registry.yaml --seed 7 --start-time now --rate 20 --duration 5m
  npm run sim -- --registry sim-registry.yaml --scenario sim-0001-tank-01=leak:metric=gas_lel,to=60,over=30s
  npm run sim -- --sites 2 --sector mining --seed 1 --dry-run --count 20 --scenario malformed:share=0.2

Exit status: 0 when the run ends, 1 on bad options or when every device is refused.
`;
