// A private InfluxDB 1.x server (Debian's `influxd`) in a folder of its own, for
// `npm start` without a server beside the gateway and for the tests. Loopback only,
// free ports, no reporting, no self-monitoring, no query or access log, and authentication
// on (private-auth.ts): loopback is not private, a webhook or any local process reaches it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { InfluxError, InfluxdNotFound } from './errors.js';
import { silentLogger, type InfluxLogger } from './http.js';
import { ensureAdmin, loadOrCreateCredentials, type InfluxCredentials } from './private-auth.js';
import { ensureDatabase } from './query.js';

export interface PrivateInfluxdOptions {
  /** Holds the config file and the meta, data and wal folders; created when absent. */
  dataDir: string;
  /** Created (CREATE DATABASE) once the server answers. */
  database?: string;
  logger?: InfluxLogger;
  /** The binary; default $INFLUXD_BIN, else `influxd` on PATH. */
  binary?: string;
  /** How long to wait for /ping (default 30,000 ms). */
  startTimeoutMs?: number;
  /** Where ports come from (default: a free loopback port each call); tests hand out a taken one. */
  freePort?: () => Promise<number>;
}

export interface PrivateInfluxd {
  /** http://127.0.0.1:<port>, the same across restart(). */
  readonly url: string;
  /** The current process (changes on restart()). */
  readonly pid: number;
  /** e.g. "1.6.7~rc0" */
  readonly version: string;
  readonly dataDir: string;
  /** The admin user every request must present (Basic auth); kept in <dataDir>/credentials.json, mode 0600. */
  readonly credentials: InfluxCredentials;
  /** SIGTERM, then SIGKILL after 15 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal (default SIGKILL) to simulate a crash or, with SIGSTOP/SIGCONT, a hang. */
  kill(signal?: NodeJS.Signals): void;
  /** Stops it if running and starts it again on the same folder and ports. */
  restart(): Promise<void>;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The influxd binary: $INFLUXD_BIN, else the first `influxd` on PATH; null when there is none. */
export function findInfluxd(env: NodeJS.ProcessEnv = process.env): string | null {
  const explicit = env.INFLUXD_BIN;
  if (explicit !== undefined && explicit !== '') return isExecutable(explicit) ? resolve(explicit) : null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'influxd');
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

export const INFLUXD_INSTALL_HINT = 'apt-get update && apt-get install -y influxdb   (Debian/Ubuntu, InfluxDB 1.x)';

/** `influxd version` -> "1.6.7~rc0"; throws unless it is a 1.x server (2.x takes another config). */
function influxdVersion(binary: string): string {
  const out = spawnSync(binary, ['version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /v?(\d+\.\d+\.\d+\S*)/.exec(`${out.stdout ?? ''}${out.stderr ?? ''}`);
  if (!m?.[1]) {
    throw new InfluxError('GW_INFLUXD_START', `cannot tell the version of ${binary}: ${(out.error?.message ?? out.stdout ?? '').slice(0, 200)}`);
  }
  if (!m[1].startsWith('1.')) {
    throw new InfluxError(
      'GW_INFLUXD_START',
      `${binary} is InfluxDB ${m[1]}; the private server needs InfluxDB 1.x (${INFLUXD_INSTALL_HINT}), or point the gateway at a running server`,
    );
  }
  return m[1];
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

function configText(dataDir: string, httpPort: number, rpcPort: number): string {
  const s = (v: string): string => JSON.stringify(v); // a TOML basic string
  return `# Written by the gateway for a private influxd; rewritten on every start.
reporting-disabled = true
# Debian's build spells the same switch this way.
reporting-enabled = false
bind-address = ${s(`127.0.0.1:${rpcPort}`)}

[meta]
  dir = ${s(join(dataDir, 'meta'))}
  logging-enabled = false

[data]
  dir = ${s(join(dataDir, 'data'))}
  wal-dir = ${s(join(dataDir, 'wal'))}
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ${s(`127.0.0.1:${httpPort}`)}
  auth-enabled = true
  log-enabled = false
  pprof-enabled = false
  unix-socket-enabled = false

[continuous_queries]
  log-enabled = false

[logging]
  level = "warn"
`;
}

/** The last bytes a process printed, for the error when it will not start. */
function tailBuffer(max = 8_192): { push(chunk: Buffer): void; text(): string } {
  let buf = '';
  return {
    push(chunk) {
      buf = (buf + chunk.toString('utf8')).slice(-max);
    },
    text: () => buf.trim(),
  };
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      res(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      res(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * Starts influxd 1.x on 127.0.0.1 with its files under dataDir and waits until /ping
 * answers 204. Throws InfluxdNotFound when there is no binary, InfluxError
 * GW_INFLUXD_START (with the end of its output) when it does not come up.
 */
const PORT_ATTEMPTS = 3;

export async function startPrivateInfluxd(opts: PrivateInfluxdOptions): Promise<PrivateInfluxd> {
  const log = opts.logger ?? silentLogger;
  const binary = opts.binary ?? findInfluxd();
  if (binary === null || !isExecutable(binary)) {
    throw new InfluxdNotFound(`influxd (InfluxDB 1.x) is not installed or not on PATH; install it with: ${INFLUXD_INSTALL_HINT}`);
  }
  const version = influxdVersion(binary);
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const loaded = await loadOrCreateCredentials(dataDir);
  const credentials = loaded.credentials;
  let freshCredentials = loaded.created; // until the first start has used them
  const configPath = join(dataDir, 'influxd.conf');
  let url = '';
  /** Picks two free ports and writes the config for them (restart() keeps them). */
  async function choosePorts(): Promise<void> {
    const pick = opts.freePort ?? freePort;
    const [httpPort, rpcPort] = [await pick(), await pick()];
    await writeFile(configPath, configText(dataDir, httpPort, rpcPort));
    url = `http://127.0.0.1:${httpPort}`;
  }
  await choosePorts();
  // INFLUXDB_* variables override the config file (INFLUXDB_HTTP_BIND_ADDRESS...): keep them out.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_')));

  let child: ChildProcess | undefined;
  let killOnExit: (() => void) | undefined;

  async function start(): Promise<void> {
    const out = tailBuffer();
    const proc = spawn(binary as string, ['run', '-config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env });
    child = proc;
    proc.stdout?.on('data', (c: Buffer) => out.push(c));
    proc.stderr?.on('data', (c: Buffer) => out.push(c));
    // An influxd must not outlive the process that started it (a crashed test run).
    killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    let spawnError: Error | undefined;
    proc.once('error', (err) => (spawnError = err));

    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    for (;;) {
      if (spawnError !== undefined || proc.exitCode !== null || proc.signalCode !== null) {
        forget();
        throw new InfluxError(
          'GW_INFLUXD_START',
          `influxd exited while starting (${spawnError?.message ?? `code ${proc.exitCode ?? proc.signalCode}`}); its last output:\n${out.text()}`,
        );
      }
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) });
        await res.body?.cancel();
        if (res.status === 204) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await waitExit(proc, 5_000);
        forget();
        throw new InfluxError('GW_INFLUXD_START', `influxd did not answer ${url}/ping in time; its last output:\n${out.text()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      await ensureAdmin(url, credentials, dataDir, freshCredentials);
      freshCredentials = false;
      if (opts.database !== undefined) await ensureDatabase({ url, api: 'v1', database: opts.database, ...credentials });
    } catch (err) {
      proc.kill('SIGKILL');
      await waitExit(proc, 5_000);
      forget();
      throw err;
    }
    log.info({ url, pid: proc.pid, version, dataDir }, 'private influxd started');
  }

  function forget(): void {
    if (killOnExit) process.off('exit', killOnExit);
    killOnExit = undefined;
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (proc === undefined) return;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGCONT'); // in case a test left it stopped: a stopped process ignores SIGTERM
      proc.kill('SIGTERM');
      if (!(await waitExit(proc, 15_000))) {
        log.warn({ pid: proc.pid }, 'influxd ignored SIGTERM, killing it');
        proc.kill('SIGKILL');
        await waitExit(proc, 5_000);
      }
      log.info({ pid: proc.pid }, 'private influxd stopped');
    }
    forget();
  }

  // A port found free can be taken by another process before influxd binds it: then new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= PORT_ATTEMPTS || !(err instanceof InfluxError && /address already in use/.test(err.message))) throw err;
      log.warn({ attempt }, 'a port chosen for the private influxd was taken meanwhile; trying other ports');
      await choosePorts();
    }
  }
  return {
    url,
    version,
    dataDir,
    credentials,
    get pid() {
      return child?.pid ?? -1;
    },
    stop,
    kill(signal = 'SIGKILL') {
      child?.kill(signal);
    },
    async restart() {
      await stop();
      await start();
    },
  };
}
