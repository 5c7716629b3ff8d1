import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findInfluxd, INFLUXD_INSTALL_HINT } from './influxd.js';

export type InfluxdInstallOutcome = 'present' | 'external' | 'installed' | 'declined' | 'cannot' | 'failed';

export interface InfluxdInstallOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the explanation goes (the demo's terminal). */
  say: (line: string) => void;
  /** Runs the package manager; tests pass their own. */
  run?: (cmd: string, args: string[]) => number;
}

const onPath = (env: NodeJS.ProcessEnv, bin: string) =>
  (env.PATH ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

const runInherit = (cmd: string, args: string[]) =>
  spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status ?? 1;

/**
 * History (charts, InfluxDB) is the core of the demo, so a fresh machine without influxd should
 * not quietly run with history off. As root with apt-get, Debian's influxdb package is installed
 * (as the tests do), saying so first; elsewhere the one command to run is printed and the demo
 * goes on without history. DEMO_INSTALL_INFLUXD=no opts out.
 */
export function ensureInfluxdInstalled(opts: InfluxdInstallOptions): InfluxdInstallOutcome {
  const env = opts.env ?? process.env;
  if (env.INFLUX_URL) return 'external';
  if (findInfluxd(env) !== null) return 'present';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (env.DEMO_INSTALL_INFLUXD === 'no') {
    opts.say(`influxd (InfluxDB 1.x) is not installed, so history and charts are off. To turn them on: ${INFLUXD_INSTALL_HINT}`);
    return 'declined';
  }
  if (!isRoot || !onPath(env, 'apt-get')) {
    const sudo = isRoot ? '' : 'sudo ';
    opts.say(`influxd (InfluxDB 1.x) is not installed, so history and charts are off. To turn them on, run:\n  ${sudo}apt-get update && ${sudo}apt-get install -y influxdb\nthen start the demo again.`);
    return 'cannot';
  }
  opts.say('influxd (InfluxDB 1.x) is not installed; the demo needs it for history and charts.');
  opts.say("Installing Debian's influxdb package now: apt-get update && apt-get install -y influxdb (DEMO_INSTALL_INFLUXD=no skips this)");
  const run = opts.run ?? runInherit;
  if (run('apt-get', ['update']) !== 0 || run('apt-get', ['install', '-y', 'influxdb']) !== 0 || findInfluxd(env) === null) {
    opts.say(`Installing influxdb failed; the demo goes on with history off. Try by hand: ${INFLUXD_INSTALL_HINT}`);
    return 'failed';
  }
  opts.say('influxdb installed.');
  return 'installed';
}
