// Child processes of the bench and what the kernel says they cost: CPU time from
// /proc/<pid>/stat (utime + stime, every thread of the process: the event loop, libuv's
// pool doing fdatasync, V8's GC helpers) and resident memory from /proc/<pid>/status.
// The gateway, the baseline broker and the load generators each run in a process of their
// own, so the CPU of one is never counted against another.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time of a process so far, in microseconds (resolution: one clock tick, 10 ms). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / clockTicks();
}

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Busy (non-idle, non-iowait) CPU time of the whole machine so far, in microseconds. */
export function machineBusyMicros(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busy = v.reduce((a, b) => a + b, 0) - (v[3] ?? 0) - (v[4] ?? 0);
  return (busy * 1e6) / clockTicks();
}

/**
 * Cores the whole machine kept busy between two instants. Set against what the measured
 * processes used, it shows how much else (other people's tests, say) ran beside the bench.
 */
export function machineMeter(): { stop(): number } {
  const c0 = machineBusyMicros();
  const t0 = performance.now();
  return { stop: () => (machineBusyMicros() - c0) / 1000 / (performance.now() - t0) };
}

/** CPU of a process between two instants: `stop()` returns the microseconds and wall time spent. */
export function cpuMeter(pid: number): { stop(): { cpuUs: number; wallMs: number; cores: number } } {
  const c0 = cpuMicros(pid);
  const t0 = performance.now();
  return {
    stop() {
      const cpuUs = cpuMicros(pid) - c0;
      const wallMs = performance.now() - t0;
      return { cpuUs, wallMs, cores: cpuUs / 1000 / wallMs };
    },
  };
}

export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the child's output (stdout + stderr). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the first IPC message of this `type` received so far or to come. */
  message<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  /** Sends an IPC message and resolves with the first reply whose `type` is `replyType`. */
  request<T = Record<string, unknown>>(msg: Record<string, unknown>, replyType: string, timeoutMs?: number): Promise<T>;
  /** Resolves once the process has exited by itself. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof, --expose-gc). */
  nodeArgs?: string[];
  /** Echo the child's output on this process's stderr (debugging). */
  echo?: boolean;
  /** Load a .mjs module through tsx too (it imports TypeScript). */
  tsx?: boolean;
}

const live = new Set<ChildProcess>();
// A bench stopped with Ctrl-C must not leave gateways, brokers or load generators behind.
process.once('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * Runs a module in its own node with an IPC channel: a TypeScript module through tsx
 * (`node --import tsx`), a plain .mjs one without a loader (what is measured stays what runs).
 */
export function spawnTs(module: string, opts: SpawnOptions = {}): Child {
  const loader = module.endsWith('.ts') || opts.tsx ? ['--import', 'tsx'] : [];
  const child = fork(resolve(module), opts.args ?? [], {
    execArgv: [...loader, ...(opts.nodeArgs ?? [])],
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return supervise(child, module, opts.echo);
}

/** Runs another program (the peers: Mosquitto, Node-RED), without IPC: `request` and `message` are not for it. */
export function spawnProgram(command: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; echo?: boolean } = {}): Child {
  const child = spawn(command, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`cannot start ${command}`);
  return supervise(child, command, opts.echo);
}

function supervise(child: ChildProcess, module: string, echo: boolean | undefined): Child {
  live.add(child);
  let out = '';
  const onData = (d: Buffer) => {
    out += d.toString();
    if (out.length > 1_000_000) out = out.slice(-500_000);
    if (echo) process.stderr.write(d);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      res({ code, signal });
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const inbox: Array<{ type?: string }> = [];
  child.on('message', (m) => {
    inbox.push(m as { type?: string });
    if (inbox.length > 1000) inbox.shift();
  });

  return {
    pid: child.pid!,
    process: child,
    exited,
    output: () => out,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const m = re.exec(out);
          if (!m) return false;
          cleanup();
          res(m);
          return true;
        };
        const timer = setTimeout(() => (cleanup(), rej(new Error(`${module}: no ${re} within ${timeoutMs} ms:\n${out.slice(-3000)}`))), timeoutMs);
        const onExit = () => (cleanup(), rej(new Error(`${module} exited before ${re}:\n${out.slice(-3000)}`)));
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
          child.off('exit', onExit);
        };
        if (check()) return;
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        child.once('exit', onExit);
      });
    },
    message<T>(type: string, timeoutMs = 60_000) {
      const seen = inbox.find((m) => m.type === type);
      if (seen) return Promise.resolve(seen as T);
      return new Promise<T>((res, rej) => {
        const onMessage = (m: unknown) => {
          if ((m as { type?: string }).type === type) done(() => res(m as T));
        };
        const onExit = () => done(() => rej(new Error(`${module} exited while waiting for ${type}:\n${out.slice(-3000)}`)));
        const timer = setTimeout(() => done(() => rej(new Error(`${module}: no ${type} within ${timeoutMs} ms:\n${out.slice(-3000)}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          f();
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
      });
    },
    request<T>(msg: Record<string, unknown>, replyType: string, timeoutMs = 120_000) {
      return new Promise<T>((res, rej) => {
        const onMessage = (m: unknown) => {
          const r = m as { type?: string; error?: string };
          if (r.type === 'error') return done(() => rej(new Error(`${module}: ${r.error}`)));
          if (r.type === replyType) done(() => res(m as T));
        };
        const onExit = () => done(() => rej(new Error(`${module} exited while waiting for ${replyType}:\n${out.slice(-3000)}`)));
        const timer = setTimeout(() => done(() => rej(new Error(`${module}: no ${replyType} within ${timeoutMs} ms`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          f();
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send(msg);
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 20_000) {
      if (!gone) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const r = await exited;
        clearTimeout(timer);
        return r;
      }
      return exited;
    },
  };
}

/** Percentile (nearest rank) of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
