// Summary of a V8 .cpuprofile (node --cpu-prof): self time by function and by where the code
// lives (a gateway file, a package, node's internals, GC), as shares of the sampled time.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  startTime: number;
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  /** Share of the busy (non-idle) sampled time, %. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  sampledMs: number;
  busyMs: number;
  topFunctions: ProfileEntry[];
  byLocation: ProfileEntry[];
}

function location(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return relative(process.cwd(), path);
}

/**
 * Reads the profile the gateway process `pid` wrote into `dir` and summarises it. `window`
 * ([from, to], microseconds of the monotonic clock, as `process.hrtime.bigint() / 1000n` reads it
 * in any process) keeps only the samples taken under load, leaving start-up and shutdown out.
 */
export function summariseProfile(dir: string, pid: number, top = 20, window?: [number, number]): ProfileSummary {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`));
  if (!file) throw new Error(`no .cpuprofile of process ${pid} in ${dir}`);
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let sampledUs = 0;
  let at = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    at += dt;
    if (window && (at < window[0] || at > window[1])) continue;
    sampledUs += dt;
    self.set(prof.samples[i]!, (self.get(prof.samples[i]!) ?? 0) + dt);
  }
  const fns = new Map<string, ProfileEntry>();
  const locs = new Map<string, ProfileEntry>();
  let idleUs = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = name.startsWith('(') ? name : location(n.callFrame.url);
    const key = `${name}|${n.callFrame.url}|${n.callFrame.lineNumber}`;
    const f = fns.get(key) ?? { name, where: where + (n.callFrame.url && !name.startsWith('(') ? `:${n.callFrame.lineNumber + 1}` : ''), selfMs: 0, share: 0 };
    f.selfMs += us / 1000;
    fns.set(key, f);
    const l = locs.get(where) ?? { name: where, where, selfMs: 0, share: 0 };
    l.selfMs += us / 1000;
    locs.set(where, l);
  }
  const busyMs = (sampledUs - idleUs) / 1000;
  const finish = (m: Map<string, ProfileEntry>) =>
    [...m.values()]
      .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), share: Math.round((e.selfMs / busyMs) * 1000) / 10 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return { file: join(dir, file), sampledMs: Math.round(sampledUs / 1000), busyMs: Math.round(busyMs), topFunctions: finish(fns), byLocation: finish(locs) };
}
