// `npm run bench`: the performance bench of the gateway. Every scenario measures the gateway
// and a baseline in the same run (the machines drift ~2x within a day, PERFORMANCE.md); the
// figures are printed as tables and saved as JSON in bench-results/<timestamp>.json.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { benchFleet, startScriptEnv, startScriptNodeFlags, type BenchOptions } from './common.js';
import { CONNECTION_STEPS, runConnections, type ConnectionsResult } from './connections.js';
import { runIdleMemory, type IdleFigures, type IdleMemoryResult } from './idle-memory.js';
import { INGEST_TARGET_RATE, runIngest, type IngestResult, type RunFigures } from './ingest.js';
import { runLatency, type LatencyResult } from './latency.js';
import { runPeers, type PeersResult } from './peers.js';
import { runRules, type RulesResult } from './rules.js';
import { runHj212Bench, type Hj212BenchResult } from './hj212.js';
import { runConsoleBench, type ConsoleBenchResult } from './console.js';
import { fmt, mib, table, verdict } from './table.js';

const SCENARIOS = ['ingest', 'ingest10', 'latency', 'idle', 'connections', 'rules', 'peers', 'hj212', 'console'] as const;
type Scenario = (typeof SCENARIOS)[number];

export const HELP = `Performance bench of the gateway: npm run bench [-- options]

Scenarios (each measures the gateway and a baseline in the same run):
  ingest       readings/s through MQTT -> validation -> rules -> outbox -> InfluxDB (every point
               counted in a private influxd), CPU us per reading; baseline: bare aedes relaying
               the same QoS 1 messages to one subscriber
  ingest10     the same with 10 metrics per message (what real loggers send), paced at the same
               readings/s (a tenth of the messages); figures count readings
  latency      violating reading -> event on SSE and on MQTT supervision/events/{site}, p50/p99/max
               at 1,000 and 5,000 readings/s of background load
  idle         RSS of the idle gateway (no device connected) with 3 and 10,000 registered devices,
               5 s after ready and once V8 has given back its start-up young generation (no
               forced GC); V8 spaces and the anonymous / file-backed split; baseline: bare aedes
  connections  RSS with 1,000, 10,000 and 19,000 idle devices connected (keepalive 60 s); baseline:
               bare aedes (19,000: one process may hold 20,000 open files on this machine)
  rules        the rule-engine microbenchmark (test/bench/rules.bench.ts)
  peers        the gateway next to bare Mosquitto (relaying to one subscriber) and the stack people
               wire by hand (Mosquitto + Node-RED 4 + node-red-contrib-influxdb + the same influxd),
               same load, same run; installs Debian's mosquitto when missing (as root) and Node-RED
               into bench-results/peers (never into the project)
  hj212        values/s and CPU per value over HJ 212 (TCP, 4 values a frame, 9014 after the
               outbox) next to MQTT/JSON (1 value a message), same gateway, every value in influxd
  console      long tasks of the event wall in Debian's Chromium (1,000 open events) idle, during a
               burst of 300 events in 10 s; baselines: the same burst with a full redraw of the
               table per event (the old strategy), and a blank page doing 8 ms per event

Options:
  --only a,b   run only these scenarios (${SCENARIOS.join(', ')})
  --quick      short runs (about 2 minutes in all): a smoke test, not figures to quote
  --profile    also run the ingest load once under node --cpu-prof and list the gateway's top
               self-time functions (adds ~25 s)
  --out DIR    where to save the JSON (default bench-results)
  --verbose    echo the output of every child process
  --node-flags "F"  run the gateway child with these node/V8 flags instead of the ones npm start
               uses (package.json scripts.start), to weigh a flag: e.g. --node-flags "" for none
  --node-env "A=1 B=2"  start the gateway child with this environment instead of what npm start
               sets before node (package.json scripts.start): e.g. --node-env "" for none
  --tsx        run the gateway's TypeScript sources through tsx instead of the compiled dist/
               that npm start runs (the bench compiles dist/ first when a source changed)
  --help       this text

Everything listens on and connects to 127.0.0.1 only; every load is bounded in time and count.
`;

interface Args {
  only: Scenario[];
  quick: boolean;
  profile: boolean;
  out: string;
  verbose: boolean;
  tsx: boolean;
  /** Node/V8 flags for the gateway child; null = the ones `npm start` uses. */
  nodeFlags: string[] | null;
  /** Environment for the gateway child; null = what `npm start` sets. */
  nodeEnv: Record<string, string> | null;
}

/** The private influxd's address as printed: its generated password never reaches the output. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
}

function parseArgs(argv: string[]): Args | string {
  const a: Args = { only: [...SCENARIOS], quick: false, profile: false, out: 'bench-results', verbose: false, tsx: false, nodeFlags: null, nodeEnv: null };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--quick') a.quick = true;
    else if (w === '--profile') a.profile = true;
    else if (w === '--verbose') a.verbose = true;
    else if (w === '--tsx') a.tsx = true;
    else if (w === '--node-flags') {
      const v = argv[++i];
      if (v === undefined) return '--node-flags needs a value (quote it; "" for none)';
      a.nodeFlags = v.split(/\s+/).filter(Boolean);
    } else if (w === '--node-env') {
      const v = argv[++i];
      if (v === undefined) return '--node-env needs a value (quote it; "" for none)';
      const words = v.split(/\s+/).filter(Boolean);
      const bad = words.find((x) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(x));
      if (bad) return `--node-env: ${bad} is not NAME=value`;
      a.nodeEnv = Object.fromEntries(words.map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]));
    }
    else if (w === '--only' || w === '--out') {
      const v = argv[++i];
      if (v === undefined) return `${w} needs a value`;
      if (w === '--out') a.out = v;
      else {
        const names = v.split(',').map((s) => s.trim()).filter(Boolean);
        const bad = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
        if (bad.length || names.length === 0) return `--only: unknown scenario ${bad.join(', ') || '(none)'}; choose from ${SCENARIOS.join(', ')}`;
        a.only = names as Scenario[];
      }
    } else return `unknown option ${w}`;
  }
  return a;
}

interface Results {
  startedAt: string;
  machine: { node: string; cpus: number; cpuModel: string; memoryGiB: number };
  options: { only: Scenario[]; quick: boolean; profile: boolean };
  durationS?: number;
  ingest?: IngestResult;
  ingest10?: IngestResult;
  latency?: LatencyResult;
  idle?: IdleMemoryResult;
  connections?: ConnectionsResult;
  rules?: RulesResult;
  peers?: PeersResult;
  hj212?: Hj212BenchResult;
  console?: ConsoleBenchResult;
  /** 1-minute load average of the machine as each scenario started: others' work runs beside the bench. */
  loadAverage: Record<string, number>;
  errors: Record<string, string>;
}

function row(label: string, f: RunFigures): (string | number)[] {
  return [label, f.ackRate, f.endToEndRate, f.drainMs, fmt(f.cpuUsPerReading, 1), fmt(f.cores, 2), fmt(f.ackP50Ms, 1), fmt(f.ackP99Ms, 1), f.behind, fmt(f.influxdUsPerPoint, 1), fmt(f.loadGenCores, 2), fmt(f.machineCores, 2)];
}

function ingestReport(ing: IngestResult): string {
  let out = '';
  const g = ing.gateway;
  const a = ing.aedes;
  out += table(
    `Ingest: ${ing.connections} connections x ${ing.window} QoS 1 in flight, ${ing.durationS} s per run, ${ing.metricsPerMessage} reading${ing.metricsPerMessage > 1 ? 's' : ''} per message (aedes subscriber QoS ${a.subscriberQos})`,
    ['run', 'acks/s', 'landed/s', 'drain ms', 'CPU us/reading', 'cores', 'PUBACK p50 ms', 'p99 ms', 'behind', 'influxd us/pt', 'load-gen cores', 'machine busy cores'],
    [
      row('gateway, closed loop (max)', g.closed),
      row('aedes,   closed loop (max)', a.closed),
      row(`gateway, paced ${fmt(INGEST_TARGET_RATE)} readings/s`, g.paced),
      row(`aedes,   paced ${fmt(INGEST_TARGET_RATE)} readings/s`, a.paced),
    ],
  );
  out += table('Ingest against the targets', ['target', 'measured', 'verdict'], [
    [`>= ${fmt(INGEST_TARGET_RATE)} readings/s sustained into influxd`, `max ${fmt(g.closed.endToEndRate)}/s landed; paced ${fmt(g.paced.endToEndRate)}/s, drain ${fmt(g.paced.drainMs)} ms`, verdict(ing.sustainedTarget)],
    ['every acknowledged point in influxd', `${fmt(g.pointsInInflux)} of ${fmt(g.expected)}`, verdict(g.verified)],
    ['gateway CPU/reading <= 2x aedes (closed loop)', `${fmt(g.closed.cpuUsPerReading, 1)} / ${fmt(a.closed.cpuUsPerReading, 1)} us = ${fmt(ing.ratioClosed, 2)}x`, verdict(ing.ratioClosed <= 2)],
    [`gateway CPU/reading <= 2x aedes (paced ${fmt(INGEST_TARGET_RATE)}/s)`, `${fmt(g.paced.cpuUsPerReading, 1)} / ${fmt(a.paced.cpuUsPerReading, 1)} us = ${fmt(ing.ratioPaced, 2)}x`, verdict(ing.ratioPaced <= 2)],
  ]);
  if (ing.profile) {
    const p = ing.profile;
    out += table(`Gateway profile under closed-loop ingest (${fmt(p.busyMs)} ms busy of ${fmt(p.sampledMs)} ms sampled): by location`, ['where', 'self ms', '% busy'], p.byLocation.slice(0, 12).map((e) => [e.name, e.selfMs, fmt(e.share, 1)]));
    out += table('... top functions by self time', ['function', 'where', 'self ms', '% busy'], p.topFunctions.slice(0, 20).map((e) => [e.name, e.where, e.selfMs, fmt(e.share, 1)]));
  }
  return out;
}

function idleReport(r: IdleMemoryResult): string {
  const row = (name: string, f: IdleFigures): (string | number)[] => {
    const s = f.settled;
    return [name, mib(f.early.rss), mib(s.rss), f.didSettle ? `${fmt(s.atS, 0)} s` : `no (${fmt(s.atS, 0)} s)`, mib(s.anon), mib(s.file), mib(s.heapUsed), mib(s.newSpace), mib(s.oldSpace), mib(s.codeSpace), mib(s.external)];
  };
  let out = table(
    `Idle memory, no device connected, no forced GC (gateway node flags: ${r.nodeFlags.join(' ') || 'none'}; environment: ${Object.entries(r.nodeEnv).map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}); MiB`,
    ['process', 'RSS at 5 s', 'RSS settled', 'settled at', 'anon', 'file-backed', 'heap used', 'new space', 'old space', 'code space', 'external'],
    [...r.gateway.map((g) => row(`gateway, ${fmt(g.registered)} registered`, g)), row('bare aedes', r.aedes)],
  );
  out += table('Idle memory against the target', ['target', 'measured (settled)', 'verdict'], r.gateway.map((g) => [`idle <= 100 MiB RSS, ${fmt(g.registered)} registered`, `${mib(g.settled.rss)} MiB (aedes ${mib(r.aedes.settled.rss)})`, verdict(g.didSettle && g.settled.rss <= 100 * 2 ** 20)]));
  const d = r.perDevice;
  if (d) out += `\nPer registered device (settled, ${fmt(d.from)} -> ${fmt(d.to)} registered): ${fmt(d.rssBytes)} B of RSS, ${fmt(d.heapBytes)} B of V8 heap used\n`;
  return out;
}

const CONSOLE_PHASES: Record<string, string> = {
  idle: 'wall idle (baseline)',
  patch: 'burst, rows patched (shipped)',
  redraw: 'burst, full redraw per event (baseline)',
  synthetic: 'burst, blank page of 8 ms tasks (baseline)',
};

function report(r: Results): string {
  let out = '';
  if (r.ingest) out += ingestReport(r.ingest);
  if (r.ingest10) out += ingestReport(r.ingest10);
  if (r.latency) {
    out += table(
      'Alert latency, publish of a violating reading -> transition received (ms)',
      ['background', 'achieved/s', 'probes', 'SSE p50', 'SSE p99', 'SSE max', 'MQTT p50', 'MQTT p99', 'MQTT max', 'timeouts', 'gw cores', 'loop delay p99', 'loop max', 'GCs', 'GC max ms'],
      r.latency.levels.map((l) => [
        `${fmt(l.backgroundRate)} readings/s`,
        l.backgroundAchieved,
        l.probes,
        fmt(l.sse.p50, 2),
        fmt(l.sse.p99, 2),
        fmt(l.sse.max, 2),
        fmt(l.mqtt.p50, 2),
        fmt(l.mqtt.p99, 2),
        fmt(l.mqtt.max, 2),
        l.sse.timeouts + l.mqtt.timeouts,
        fmt(l.gatewayCores, 2),
        fmt(l.loop.p99, 2),
        fmt(l.loop.max, 2),
        l.loop.gcCount,
        fmt(l.loop.gcMaxMs, 2),
      ]),
    );
    const at5k = r.latency.levels.find((l) => l.backgroundRate === 5000);
    if (at5k) {
      out += table('Latency against the target', ['target', 'measured', 'verdict'], [
        ['p99 <= 10 ms at 5,000 readings/s (SSE)', `${fmt(at5k.sse.p99, 2)} ms`, verdict(at5k.sse.p99 <= 10 && at5k.sse.timeouts === 0)],
        ['p99 <= 10 ms at 5,000 readings/s (MQTT)', `${fmt(at5k.mqtt.p99, 2)} ms`, verdict(at5k.mqtt.p99 <= 10 && at5k.mqtt.timeouts === 0)],
      ]);
    }
  }
  if (r.idle) out += idleReport(r.idle);
  if (r.connections) {
    const c = r.connections;
    const rows: (string | number)[][] = [];
    for (const [name, b] of [['gateway', c.gateway], ['aedes', c.aedes]] as const) {
      rows.push([`${name}, idle`, 0, mib(b.idleRssBytes), b.idleSettled ? 'yes' : 'no', '-', '-', '-', '-']);
      for (const s of b.steps) rows.push([`${name}, ${fmt(s.devices)} devices`, s.devices, mib(s.rssBytes), s.settled ? 'yes' : 'no', s.bytesPerDevice, s.marginalBytesPerDevice, s.heapBytesPerDevice, s.connectRate]);
    }
    out += table(
      'Idle connections (keepalive 60 s): RSS once settled (no forced GC; young generation given back), heap after a full GC (bytes/device: over idle; marginal: over the previous step)',
      ['broker', 'devices', 'RSS MiB', 'settled', 'bytes/device', 'marginal B/device', 'heap B/device', 'connects/s'],
      rows,
    );
    const tenK = c.gateway.steps.find((s) => s.devices >= 10_000);
    const last = c.gateway.steps.at(-1);
    const targets: (string | number)[][] = [['idle (no device) <= 100 MiB RSS', `${mib(c.gateway.idleRssBytes)} MiB`, verdict(c.gateway.idleRssBytes <= 100 * 2 ** 20)]];
    if (tenK) targets.push(['10,000 devices in <= 200 MiB RSS', `${mib(tenK.rssBytes)} MiB`, verdict(tenK.rssBytes <= 200 * 2 ** 20)]);
    if (last && tenK && last.devices > tenK.devices) {
      // Not measured: one process may hold 20,000 open files here (see connections.ts).
      const at100k = last.rssBytes + (100_000 - last.devices) * last.marginalBytesPerDevice;
      targets.push([`100,000 devices <= 1.5 GiB (EXTRAPOLATED from ${fmt(last.devices)} at ${last.marginalBytesPerDevice} B/device; not measured)`, `${mib(at100k)} MiB`, verdict(at100k <= 1.5 * 2 ** 30)]);
    }
    out += table('Connections against the targets', ['target', 'measured', 'verdict'], targets);
  }
  if (r.rules) {
    out += table(
      `Rule engine (${r.rules.header.replace(/^rule engine, /, '')})`,
      ['order', 'rules', 'compile ms', 'readings/s', 'ns/reading', 'rules met/reading', 'transitions'],
      r.rules.rows.map((x) => [x.order, x.rules, x.compileMs, x.readingsPerSecond, x.nsPerReading, fmt(x.rulesMetPerReading, 2), x.transitions]),
    );
  }
  if (r.peers) {
    const p = r.peers;
    const g = p.gateway;
    const line = (name: string, f: typeof g) => [name, fmt(f.endToEndRate), fmt(f.systemCpuUsPerReading, 1), fmt(f.ackP99Ms, 1), fmt(f.endToEndRate / g.endToEndRate, 2), fmt(f.systemCpuUsPerReading / g.systemCpuUsPerReading, 2), f.acknowledges];
    out += table(
      `Peers: ${p.connections} connections x 64 QoS 1 in flight, ${p.durationS} s closed loop, 1 reading per message, same influxd (Mosquitto ${p.mosquittoVersion}, Node-RED ${p.nodeRedVersion})`,
      ['system', 'landed/s', 'CPU us/reading', 'PUBACK p99 ms', 'rate vs gateway', 'CPU vs gateway', 'acknowledges'],
      [line('gateway', g), line('bare Mosquitto (relay, no storage)', p.mosquitto), line('Mosquitto + Node-RED + InfluxDB', p.stack)],
    );
  }
  if (r.hj212) {
    const h = r.hj212;
    const line = (name: string, p: Hj212BenchResult['mqtt']) => [name, fmt(p.valuesPerSecond), fmt(p.messagesPerSecond), fmt(p.cpuUsPerValue, 1), fmt(p.cores, 2), `${fmt(p.landed)} / ${fmt(p.messages)}`];
    out += table(
      `HJ 212 next to MQTT/JSON: ${h.connections} connections, closed loop, ${h.durationS} s each, same gateway process`,
      ['path', 'values/s', 'messages/s', 'CPU us/value', 'cores', 'landed points / messages'],
      [line('MQTT/JSON (1 value/message, QoS 1, 64 in flight)', h.mqtt), line(`HJ 212 (4 values/frame, 9014, ${h.window} in flight)`, h.hj212)],
    );
    out += `HJ 212 CPU per value is ${fmt(h.cpuRatio, 2)}x the MQTT/JSON path's\n`;
  }
  if (r.console) {
    const c = r.console;
    out += table(
      `Console wall in Chromium: ${fmt(c.seeded)} open events, bursts of ${c.burst} in ${c.burstMs / 1000} s (long task = main thread busy > 50 ms)`,
      ['phase', 'events', 'rows at end', 'long tasks', 'over 100 ms', 'longest ms', 'blocked %', 'script ms', 'layout ms', 'style ms', 'all tasks ms', 'phase ms', 'load avg'],
      c.phases.map((p) => [CONSOLE_PHASES[p.phase], p.events, p.rows, p.longTasks, p.over100, p.longestMs, fmt(p.blockedShare * 100, 1), p.scriptMs, p.layoutMs, p.styleMs, p.taskMs, p.durationMs, fmt(p.loadAverage, 2)]),
    );
    const patch = c.phases.find((p) => p.phase === 'patch');
    if (patch) out += table('Console against the target', ['target', 'measured', 'verdict'], [['no task over 100 ms during the burst', `${patch.over100} over 100 ms, longest ${patch.longestMs} ms`, verdict(patch.over100 === 0)]]);
  }
  out += `\nMachine load average (1 min) as each scenario started: ${Object.entries(r.loadAverage).map(([k, v]) => `${k} ${v}`).join(', ')} (2 cores; other people's work shares them)\n`;
  for (const [k, v] of Object.entries(r.errors)) out += `\n${k} FAILED: ${v}\n`;
  return out;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`${args}\n\n${HELP}`);
    return 2;
  }
  const t0 = performance.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const workDir = mkdtempSync(join(tmpdir(), 'gw-bench-run-'));
  const log = (line: string) => process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const results: Results = {
    startedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30) },
    options: { only: args.only, quick: args.quick, profile: args.profile },
    loadAverage: {},
    errors: {},
  };
  let influxd: TestInfluxd | undefined;
  try {
    const needsGateway = args.only.some((s) => s !== 'rules');
    // One registry serves every scenario: a few devices for ingest, one per latency probe, all for connections.
    const fleet = needsGateway ? benchFleet(workDir, args.only.includes('connections') ? CONNECTION_STEPS.at(-1)! : 10_000) : { registryPath: '', devices: [] };
    if (needsGateway) {
      influxd = await startTestInfluxd('bench');
      log(`influxd ${influxd.server.version} at ${withoutCredentials(influxd.url)} (pid ${influxd.server.pid}); fleet of ${fleet.devices.length} devices`);
    }
    const o: BenchOptions = { quick: args.quick, profile: args.profile, workDir, influxUrl: influxd?.url ?? '', verbose: args.verbose, tsx: args.tsx, nodeFlags: args.nodeFlags ?? startScriptNodeFlags(), nodeEnv: args.nodeEnv ?? startScriptEnv(), log };
    for (const s of args.only) {
      results.loadAverage[s] = Math.round(loadavg()[0]! * 100) / 100;
      log(`${s}: machine load average ${results.loadAverage[s]} (2 cores)`);
      try {
        if (s === 'ingest') results.ingest = await runIngest(o, fleet, influxd?.server.pid);
        else if (s === 'ingest10') results.ingest10 = await runIngest(o, fleet, influxd?.server.pid, 10);
        else if (s === 'latency') results.latency = await runLatency(o, fleet);
        else if (s === 'idle') results.idle = await runIdleMemory(o);
        else if (s === 'connections') results.connections = await runConnections(o, fleet);
        else if (s === 'peers') results.peers = await runPeers(o, fleet);
        else if (s === 'hj212') results.hj212 = await runHj212Bench(o);
        else if (s === 'console') results.console = await runConsoleBench(o, fleet);
        else results.rules = await runRules(o);
      } catch (err) {
        results.errors[s] = (err as Error).stack ?? String(err);
        log(`${s} failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await influxd?.stop().catch(() => undefined);
    const prof = results.ingest?.profile;
    if (prof) {
      mkdirSync(args.out, { recursive: true });
      const kept = join(args.out, `${stamp}-gateway-ingest.cpuprofile`);
      copyFileSync(prof.file, kept);
      prof.file = kept;
    }
    rmSync(workDir, { recursive: true, force: true });
  }
  results.durationS = Math.round((performance.now() - t0) / 1000);
  process.stdout.write(report(results));
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `${stamp}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\nsaved ${file} (${results.durationS} s${args.quick ? ', --quick: smoke-test figures' : ''})\n`);
  return Object.keys(results.errors).length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
