import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureInfluxdInstalled } from '../../../gateway/src/storage/index.js';

function binDir(...names: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bin-'));
  for (const n of names) {
    writeFileSync(join(dir, n), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, n), 0o755);
  }
  return dir;
}

function attempt(env: NodeJS.ProcessEnv, run?: (cmd: string, args: string[]) => number) {
  const lines: string[] = [];
  const calls: string[] = [];
  const outcome = ensureInfluxdInstalled({
    env,
    say: (l) => lines.push(l),
    run: (cmd, args) => (calls.push([cmd, ...args].join(' ')), run ? run(cmd, args) : 0),
  });
  return { outcome, text: lines.join('\n'), calls };
}

const isRoot = process.getuid?.() === 0;

describe('ensureInfluxdInstalled (npm run demo on a fresh machine)', () => {
  it('leaves an external InfluxDB alone', () => {
    expect(attempt({ INFLUX_URL: 'http://127.0.0.1:8086', PATH: binDir() }).outcome).toBe('external');
  });

  it('does nothing when influxd is already on PATH', () => {
    const r = attempt({ PATH: binDir('influxd') });
    expect(r.outcome).toBe('present');
    expect(r.calls).toEqual([]);
  });

  it('prints the one command to run and installs nothing when apt-get is not there', () => {
    const r = attempt({ PATH: binDir() });
    expect(r.outcome).toBe('cannot');
    expect(r.text).toContain('apt-get install -y influxdb');
    expect(r.calls).toEqual([]);
  });

  it('respects DEMO_INSTALL_INFLUXD=no', () => {
    const r = attempt({ PATH: binDir('apt-get'), DEMO_INSTALL_INFLUXD: 'no' });
    expect(r.outcome).toBe('declined');
    expect(r.calls).toEqual([]);
  });

  it.runIf(isRoot)('as root with apt-get, says what it installs and then installs influxdb', () => {
    const dir = binDir('apt-get');
    const r = attempt({ PATH: dir }, (_cmd, args) => {
      // The package puts influxd on PATH.
      if (args[0] === 'install') writeFileSync(join(dir, 'influxd'), '#!/bin/sh\n', { mode: 0o755 });
      return 0;
    });
    expect(r.text).toContain("Installing Debian's influxdb package now");
    expect(r.calls).toEqual(['apt-get update', 'apt-get install -y influxdb']);
    expect(r.outcome).toBe('installed');
  });

  it.runIf(isRoot)('goes on with history off and says how when the install fails', () => {
    const r = attempt({ PATH: binDir('apt-get') }, () => 100);
    expect(r.outcome).toBe('failed');
    expect(r.text).toContain('history off');
  });
});
