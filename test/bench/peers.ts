// Scenario peers: the gateway next to what people wire by hand, same load, same run, same influxd:
//   bare Mosquitto   relaying the QoS 1 publishes to one subscriber (the broker alone, no storage)
//   the hand stack   Mosquitto -> Node-RED 4 (mqtt in -> function with the threshold -> join of
//                    1,000 -> node-red-contrib-influxdb batch) -> influxd
//   the gateway      validation, rules, outbox with fdatasync, InfluxDB
// What each acknowledges and when differs, and is reported: Mosquitto sends PUBACK on arrival,
// before anything is stored; the gateway once the outbox holds the reading.
// Mosquitto comes from Debian (installed when missing and the bench runs as root); Node-RED is
// installed by the bench into bench-results/peers (never into the project's dependencies).
// Everything listens on 127.0.0.1 only; every run is bounded in time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { createInfluxQuery, ensureDatabase } from '../../gateway/src/storage/influx/index.js';
import { startGatewayChild, startLoadGen, type BenchOptions, type Fleet } from './common.js';
import { measured, publishReq, waitUntil, type RunFigures } from './ingest.js';
import type { PublishResult } from './load-gen.js';
import { cpuMeter, sleep, spawnProgram, type Child } from './proc.js';

const CONNECTIONS = 32;
const NODE_RED = 'node-red@4.1.8';
const INFLUX_NODE = 'node-red-contrib-influxdb@0.7.0';

export interface PeerRun extends RunFigures {
  /** What a PUBACK means for this system. */
  acknowledges: string;
  /** CPU per reading of every process of the system (broker + Node-RED for the stack). */
  systemCpuUsPerReading: number;
}

export interface PeersResult {
  durationS: number;
  connections: number;
  gateway: PeerRun;
  mosquitto: PeerRun;
  stack: PeerRun;
  mosquittoVersion: string;
  nodeRedVersion: string;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function ensureMosquitto(o: BenchOptions): string {
  const found = spawnSync('sh', ['-c', 'command -v mosquitto || ls /usr/sbin/mosquitto'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error('peers: Mosquitto is not installed; run: sudo apt-get install -y mosquitto');
  o.log('peers: installing Debian\'s mosquitto (apt-get install -y mosquitto)');
  const r = spawnSync('sh', ['-c', 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q mosquitto'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('peers: apt-get install mosquitto failed');
  return '/usr/sbin/mosquitto';
}

/** Node-RED and its InfluxDB node in a folder of their own, installed once. */
function ensureNodeRed(o: BenchOptions): string {
  const dir = resolve('bench-results/peers');
  if (existsSync(join(dir, 'node_modules/node-red/red.js')) && existsSync(join(dir, 'node_modules/node-red-contrib-influxdb'))) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'gateway-bench-peers', private: true, description: 'Node-RED for npm run bench -- --only peers; not part of the project' }, null, 2));
  o.log(`peers: installing ${NODE_RED} and ${INFLUX_NODE} into ${dir} (once; Node-RED 5 needs Node 22)`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', NODE_RED, INFLUX_NODE], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('peers: npm install of Node-RED failed');
  return dir;
}

export async function startMosquitto(o: BenchOptions, bin: string, dir: string): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // Stock Mosquitto drops QoS 1 messages past 1,000 queued per subscriber (PERFORMANCE.md): raise every queue.
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'max_queued_bytes 0', 'max_inflight_messages 0', 'set_tcp_nodelay true', 'log_type error', 'log_type warning', ''].join('\n'));
  const child = spawnProgram(bin, ['-c', conf], { echo: o.verbose });
  // Mosquitto 2 logs nothing on a quiet start at these log types: wait for the port.
  const ok = await waitUntil(
    () =>
      new Promise<boolean>((res) => {
        const s = createServer();
        s.once('error', () => res(true));
        s.listen(port, '127.0.0.1', () => s.close(() => res(false)));
      }),
    10_000,
    100,
  );
  if (!ok) throw new Error(`peers: mosquitto did not listen on ${port}:\n${child.output()}`);
  return { child, port };
}

function flow(mqttPort: number, influxUrl: string, database: string) {
  const u = new URL(influxUrl);
  // Flow nodes carry x/y: Node-RED takes a node without a position for a config node.
  // The function node does what the gateway's threshold rule does (gas_lel >= 50 is an alarm),
  // and shapes the point for the batch node.
  const func = [
    "const p = msg.payload; const t = msg.topic.split('/');",
    "const point = { measurement: 'telemetry', tags: { site: t[1], device: t[3] }, fields: p.metrics, timestamp: new Date(p.ts) };",
    'const alarm = p.metrics.gas_lel >= 50 ? { payload: { site: t[1], device: t[3], value: p.metrics.gas_lel } } : null;',
    'return [{ payload: point }, alarm];',
  ].join('\n');
  return [
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'broker', type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(mqttPort), clientid: 'node-red-bench', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
    { id: 'in', type: 'mqtt in', z: 'tab', x: 100, y: 100, topic: 'sites/+/devices/+/telemetry', qos: '1', datatype: 'json', broker: 'broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['threshold']] },
    { id: 'threshold', type: 'function', z: 'tab', x: 300, y: 100, name: 'threshold', func, outputs: 2, wires: [['join'], []] },
    { id: 'join', type: 'join', z: 'tab', x: 500, y: 100, mode: 'custom', build: 'array', property: 'payload', propertyType: 'msg', key: 'topic', joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '1', count: '1000', reduceRight: false, wires: [['batch']] },
    { id: 'influx', type: 'influxdb', hostname: u.hostname, port: u.port, protocol: 'http', database, name: '', usetls: false, influxdbVersion: '1.x' },
    { id: 'batch', type: 'influxdb batch', z: 'tab', x: 700, y: 100, influxdb: 'influx', precision: 'ms', retentionPolicy: '', name: '', wires: [] },
  ];
}

export async function startNodeRed(o: BenchOptions, peersDir: string, runDir: string, mqttPort: number, database: string): Promise<Child> {
  const uiPort = await freePort();
  // A flow file of this run's own name: Node-RED reads its credentials from <userDir>/<flow name>_cred.json.
  const flowName = `flows-${basename(runDir)}`;
  const flowFile = join(runDir, `${flowName}.json`);
  writeFileSync(flowFile, JSON.stringify(flow(mqttPort, o.influxUrl, database)));
  // The bench's influxd runs with authentication: the influxdb node's user and password, removed
  // again when the bench ends (they are the private influxd's, generated for this run).
  const u = new URL(o.influxUrl);
  const credFile = join(peersDir, `${flowName}_cred.json`);
  writeFileSync(credFile, JSON.stringify({ influx: { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } }), { mode: 0o600 });
  process.once('exit', () => rmSync(credFile, { force: true }));
  writeFileSync(
    join(runDir, 'settings.js'),
    `module.exports = { uiPort: ${uiPort}, uiHost: '127.0.0.1', flowFile: ${JSON.stringify(flowFile)}, userDir: ${JSON.stringify(peersDir)}, httpAdminRoot: false, httpNodeRoot: false, credentialSecret: false, logging: { console: { level: 'info', metrics: false, audit: false } } };\n`,
  );
  const child = spawnProgram(process.execPath, [join(peersDir, 'node_modules/node-red/red.js'), '--settings', join(runDir, 'settings.js')], { echo: o.verbose });
  await child.waitFor(/Connected to broker/, 90_000);
  return child;
}

async function relayRun(o: BenchOptions, port: number, brokerPid: number, fleet: Fleet, durationMs: number, landed: (sub?: Child) => Promise<number>, withSubscriber: boolean, extraPids: number[]): Promise<RunFigures & { systemCpuUs: number }> {
  const devices = fleet.devices.slice(0, CONNECTIONS);
  const sub = withSubscriber ? await startLoadGen(o) : undefined;
  const load = await startLoadGen(o);
  try {
    if (sub) await sub.request({ type: 'subscribe', port, topic: 'sites/+/devices/+/telemetry', qos: 1 }, 'subscribed');
    const c = await load.request<{ connected: number; firstError?: string }>({ type: 'connect', port, devices, keepalive: 60, concurrency: 32 }, 'connected');
    if (c.connected !== devices.length) throw new Error(`peers: devices could not connect: ${c.firstError}`);
    const count = () => landed(sub);
    const warm = await load.request<PublishResult>(publishReq('closed', o.quick ? 1_500 : 3_000, 1), 'published');
    await waitUntil(async () => (await count()) >= warm.acked, 60_000, 100);
    // Counted from what has landed, so a system that stores nothing shows 0/s, not a negative rate.
    const base = await count();
    if (base < warm.acked) o.log(`  only ${base} of ${warm.acked} warm-up readings landed within 60 s: this system is not storing what it acknowledges`);
    const extra = extraPids.map((pid) => cpuMeter(pid));
    const f = await measured(load, brokerPid, publishReq('closed', durationMs, 1), count, base, 1);
    const extraUs = extra.reduce((s, m) => s + m.stop().cpuUs, 0);
    await load.request({ type: 'disconnect' }, 'disconnected');
    return { ...f, systemCpuUs: f.cpuUsPerReading * f.acked + extraUs };
  } finally {
    await load.stop();
    await sub?.stop();
  }
}

const peer = (f: RunFigures & { systemCpuUs: number }, acknowledges: string): PeerRun => ({ ...f, acknowledges, systemCpuUsPerReading: f.systemCpuUs / Math.max(1, f.landed) });

export async function runPeers(o: BenchOptions, fleet: Fleet): Promise<PeersResult> {
  const durationMs = o.quick ? 5_000 : 15_000;
  const mosquittoBin = ensureMosquitto(o);
  const peersDir = ensureNodeRed(o);
  const runDir = mkdtempSync(join(o.workDir, 'peers-'));
  const mosquittoVersion = /mosquitto version (\S+)/.exec(spawnSync(mosquittoBin, ['-h'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  const nodeRedVersion = NODE_RED.split('@')[1]!;
  o.log(`peers: ${CONNECTIONS} connections x 64 QoS 1 in flight, ${durationMs / 1000} s closed loop each: gateway, Mosquitto ${mosquittoVersion}, Mosquitto + Node-RED ${nodeRedVersion} + influxd`);
  const count = (database: string) => {
    const q = createInfluxQuery({ url: o.influxUrl, api: 'v1', database });
    return async () => {
      const [r] = await q.query('SELECT count("gas_lel") FROM "telemetry"').catch(() => [undefined]);
      return Number(r?.series[0]?.values[0]?.[1] ?? 0);
    };
  };
  try {
    // The gateway, into influxd.
    const gw = await startGatewayChild(o, fleet, 'bench_peers_gateway');
    let gateway: PeerRun;
    try {
      const f = await relayRun(o, gw.mqttPort, gw.child.pid, fleet, durationMs, count('bench_peers_gateway'), false, []);
      gateway = peer(f, 'PUBACK once the reading is in the outbox (fdatasync), after validation and rules');
    } finally {
      await gw.stop();
    }
    o.log(`  gateway: ${Math.round(gateway.endToEndRate)} readings/s landed, ${gateway.systemCpuUsPerReading.toFixed(1)} us CPU/reading`);

    // Bare Mosquitto relaying to one subscriber.
    let mosquitto: PeerRun;
    const m1 = await startMosquitto(o, mosquittoBin, mkdtempSync(join(runDir, 'm1-')));
    try {
      const f = await relayRun(o, m1.port, m1.child.pid, fleet, durationMs, async (sub) => (await sub!.request<{ received: number }>({ type: 'count' }, 'count')).received, true, []);
      mosquitto = peer(f, 'PUBACK on arrival; nothing stored (relayed to one QoS 1 subscriber)');
    } finally {
      await m1.child.stop('SIGTERM', 5_000);
    }
    o.log(`  mosquitto: ${Math.round(mosquitto.endToEndRate)} msg/s relayed, ${mosquitto.systemCpuUsPerReading.toFixed(1)} us CPU/msg`);

    // Mosquitto + Node-RED + influxd.
    let stack: PeerRun;
    const m2 = await startMosquitto(o, mosquittoBin, mkdtempSync(join(runDir, 'm2-')));
    const red = await startNodeRed(o, peersDir, runDir, m2.port, 'bench_peers_stack').catch(async (err) => {
      await m2.child.stop('SIGTERM', 5_000);
      throw err;
    });
    try {
      // influxd's database must exist before the batch node writes.
      await ensureDatabase({ url: o.influxUrl, api: 'v1', database: 'bench_peers_stack' });
      const f = await relayRun(o, m2.port, m2.child.pid, fleet, durationMs, count('bench_peers_stack'), false, [red.pid]);
      stack = peer(f, 'PUBACK on arrival at Mosquitto, before Node-RED or InfluxDB have it');
    } finally {
      await red.stop('SIGTERM', 10_000);
      await m2.child.stop('SIGTERM', 5_000);
    }
    o.log(`  Mosquitto + Node-RED: ${Math.round(stack.endToEndRate)} readings/s landed, ${stack.systemCpuUsPerReading.toFixed(1)} us CPU/reading (Mosquitto + Node-RED)`);
    await sleep(100);
    return { durationS: durationMs / 1000, connections: CONNECTIONS, gateway, mosquitto, stack, mosquittoVersion, nodeRedVersion };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}
