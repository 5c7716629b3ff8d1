// `npm run demo`: the gateway plus simulated sites, with scenarios that raise events within
// a minute, and a printout of where to look. Everything stays under ./data/demo.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hj212Registry, loggersOf, runHj212 } from '../../device-sim/src/hj212/index.js';
import { generateRegistry, registryToYaml, start as startSim, startVendorSim, vendorDemoSite, vendorDevicesOf } from '../../device-sim/src/index.js';
import { parse as parseYaml } from 'yaml';
import type { RegistryFile } from './registry/index.js';
import { createGateway, type Gateway } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './observability/index.js';
import { ensureInfluxdInstalled, redactUrl } from './storage/index.js';

const HELP = `npm run demo: starts the gateway and simulated sites (6 sectors, sensors and cameras)
with scenarios that drive readings over alarm levels, then prints where to look.

Data, registry and generated API token live in ./data/demo (GATEWAY_DATA_DIR overrides).
Every gateway setting (see npm start -- --help) applies. DEMO_RATE sets readings/s (default 30).
Without influxd (InfluxDB 1.x) and INFLUX_URL, the demo installs Debian's influxdb when it runs
as root with apt-get (DEMO_INSTALL_INFLUXD=no skips that), else prints the command to run.
Ctrl-C stops both.
`;

async function listen(gateway: Gateway) {
  return gateway.start();
}

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  ensureInfluxdInstalled({ say: (line) => process.stdout.write(`${line}\n`) });
  const dataDir = resolve(process.env.GATEWAY_DATA_DIR ?? 'data/demo');
  mkdirSync(dataDir, { recursive: true });
  const registryPath = join(dataDir, 'registry.yaml');
  if (!existsSync(registryPath)) {
    const registry = generateRegistry({ sites: 6, devicesPerSite: 3, sector: 'mixed', camerasPerSite: 1, seed: 'demo' });
    // One HJ 212 site: a wastewater outlet's data logger over TCP.
    registry.sites.push(...hj212Registry(1, 'demo').sites);
    writeFileSync(registryPath, registryToYaml(registry));
  }
  // The vendor devices (Frigate NVR, Hikvision ISAPI camera, DTU) get a site of their own,
  // added to a registry made by an earlier demo too.
  const vendorSite = vendorDemoSite();
  const current = parseYaml(readFileSync(registryPath, 'utf8')) as RegistryFile;
  if (!current.sites.some((s) => s.id === vendorSite.id)) writeFileSync(registryPath, registryToYaml({ sites: [...current.sites, vendorSite] }));
  let config;
  try {
    config = loadConfig({ GATEWAY_LOG_LEVEL: 'warn', GATEWAY_HJ212_PORT: '9212', ...process.env, GATEWAY_DATA_DIR: dataDir, GATEWAY_REGISTRY: registryPath });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger(config.GATEWAY_LOG_LEVEL);
  let gateway = await createGateway({ config, logger, registryRequired: true });
  let where;
  try {
    where = await listen(gateway);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    // Another program holds 1883 or 8080: the demo takes free ports instead.
    await gateway.stop().catch(() => undefined);
    process.stdout.write('ports 1883/8080 are in use; the demo takes free ports instead\n');
    gateway = await createGateway({ config: { ...config, GATEWAY_MQTT_PORT: 0, GATEWAY_HTTP_PORT: 0, GATEWAY_HJ212_PORT: config.GATEWAY_HJ212_PORT === null ? null : 0 }, logger, registryRequired: true });
    where = await listen(gateway);
  }
  const host = config.GATEWAY_HOST === '0.0.0.0' ? '127.0.0.1' : config.GATEWAY_HOST;
  const http = where.httpUrl.replace('0.0.0.0', host);
  const mqttUrl = `mqtt://${host}:${where.mqttPort}`;
  const rate = Number(process.env.DEMO_RATE ?? 30);

  const sim = await startSim({
    url: mqttUrl,
    // The vendor devices are played by the vendor simulator below, not by this one.
    registry: { sites: current.sites.filter((s) => s.id !== vendorSite.id) },
    rate,
    qos: 1,
    quiet: true,
    scenarios: [
      'sim-0001=leak:metric=gas_lel,to=62,over=40s,at=10s',
      'sim-0002=spike:metric=ch4,to=1.7,at=25s,for=20s',
      'sim-0003=flap:metric=pm10,level=160,amp=30,period=30s,at=15s',
      'sim-0005=burst:type=rat,count=3,at=20s,for=40s',
      'sim-0006=silent:at=30s,for=6m',
    ],
  });

  // The HJ 212 logger starts 65 minutes back: catching up, it sends last hour's 2061 with COD over its limit.
  const hj212 =
    where.hj212Port === null
      ? null
      : runHj212({ host, port: where.hj212Port, loggers: loggersOf(registryPath, new Map([['cod-high', null]])), seed: 'demo', intervalMs: 30_000, backfillMs: 65 * 60_000, outage: { atMs: 0, forMs: 0 }, ackTimeoutMs: 5000 });

  const vendors = await startVendorSim({
    mqttUrl,
    httpUrl: http,
    devices: vendorDevicesOf(vendorSite),
    intervalMs: 45_000,
    onError: (err, device) => process.stderr.write(`[vendor-sim] ${device}: ${err.message}\n`),
  });
  const token = gateway.apiToken;
  const simSites = current.sites.filter((s) => s.id !== vendorSite.id && s.devices.every((d) => d.protocol !== 'hj212'));
  const camera = simSites.flatMap((s) => s.devices).find((d) => d.kind === 'camera');
  const sensor = simSites.flatMap((s) => s.devices).find((d) => d.kind !== 'camera');
  process.stdout.write(`
Remote-supervision gateway demo is running.

  Supervisor console   ${http}/            (sign in with the API token below)
  Events (API)         curl -H "Authorization: Bearer ${token}" ${http}/api/events
  Sites (API)          curl -H "Authorization: Bearer ${token}" ${http}/api/sites
  Live stream (SSE)    curl -N -H "Authorization: Bearer ${token}" ${http}/api/events/stream
  Device command       curl -H "Authorization: Bearer ${token}" -H 'content-type: application/json' -d '{"name":"read"}' ${http}/api/devices/<id>/commands
  Health / metrics     ${http}/healthz   ${http}/metrics
  MQTT broker          ${mqttUrl}  (devices in ${registryPath})
  HJ 212 (TCP)         ${where.hj212Port === null ? 'off' : `${host}:${where.hj212Port}  (one wastewater logger, hj212-plant)`}
  History              ${gateway.history.enabled ? `InfluxDB at ${redactUrl(gateway.history.url ?? '')}` : 'off (no influxd on PATH; events still recorded)'}
  API token            ${token}

Simulated: ${rate} readings/s from 6 sites; a gas leak, a methane spike, dust flapping around
its limit, rats in a kitchen and a fireworks store going silent raise events in the first minute;
the HJ 212 logger's hourly COD average over 100 mg/L raises pollution.hj212-cod-hourly.
After 15 s ${camera?.id ?? 'a camera'} is asked for a snapshot and ${sensor?.id ?? 'a sensor'} for a reading
(device commands); the answers are printed and shown on the device's command page.
Vendor devices on site ${vendorSite.id}: a Frigate NVR (MQTT events and snapshot JPEGs under its own prefix), a
Hikvision camera pushing ISAPI alerts with a JPEG over HTTP (the picture is on the event page),
and a DTU sending tag/value JSON whose gas reading climbs past 25 %LEL every few minutes.
Ctrl-C stops.
`);

  // Device commands (remote inspection): a camera takes a snapshot and a sensor reads now.
  const commands = setTimeout(() => {
    for (const [device, name] of [[camera?.id, 'snapshot'], [sensor?.id, 'read']] as const) if (device) void demoCommand(http, token, device, name);
  }, 15_000);
  commands.unref();

  const timer = setInterval(() => {
    const s = sim.stats();
    const open = gateway.events.countsByState();
    process.stdout.write(`[demo] sent ${s.sent}, acked ${s.acked}; events open ${open.open}, acknowledged ${open.acknowledged}, resolved ${open.resolved}, closed ${open.closed}\n`);
  }, 10_000);
  timer.unref();
  gateway.onTransition((a) => {
    if (a.transition.type === 'raised' || a.transition.type === 'escalated') {
      process.stdout.write(`[event] ${a.transition.type} ${a.event.severity.toUpperCase()} ${a.event.site}/${a.event.device}: ${a.event.message}\n`);
    }
  });

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      clearTimeout(commands);
      process.stdout.write('\nstopping the simulator and the gateway...\n');
      Promise.all([sim.stop(), vendors.stop(), hj212?.stop()])
        .catch(() => undefined)
        .then(() => gateway.stop())
        .then(
          () => resolveExit(0),
          (err) => (process.stderr.write(`stop failed: ${(err as Error).message}\n`), resolveExit(1)),
        );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Sends one command through the API and prints its life once it is answered (or not, in 30 s). */
async function demoCommand(http: string, token: string, device: string, name: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  try {
    const sent = (await (await fetch(`${http}/api/devices/${device}/commands`, { method: 'POST', headers, body: JSON.stringify({ name, ttl: 60 }) })).json()) as { id?: string };
    if (!sent.id) throw new Error(JSON.stringify(sent));
    process.stdout.write(`[command] ${name} sent to ${device} (${http}/#/devices/${device}/commands)\n`);
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const c = (await (await fetch(`${http}/api/commands/${sent.id}`, { headers })).json()) as { state: string; reply: unknown };
      if (c.state === 'queued' || c.state === 'delivered') continue;
      process.stdout.write(`[command] ${name} on ${device}: ${c.state} ${JSON.stringify(c.reply)}\n`);
      return;
    }
    process.stdout.write(`[command] ${name} on ${device}: no answer in 30 s\n`);
  } catch (err) {
    process.stderr.write(`[command] ${name} on ${device} failed: ${(err as Error).message}\n`);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
