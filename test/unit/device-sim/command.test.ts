import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../../gateway/src/registry/index.js';
import { runCli } from '../../../device-sim/src/command.js';

const dir = await mkdtemp(join(tmpdir(), 'device-sim-cli-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

describe('runCli', () => {
  it('prints the help and succeeds', async () => {
    const c = io();
    expect(await runCli(['--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^Device simulator/);
  });

  it('exits 1 with a readable message for a bad option', async () => {
    const c = io();
    expect(await runCli(['--rate', 'fast'], c.io)).toBe(1);
    expect(c.err()).toBe('device-sim: invalid options:\n  --rate: must be a number of readings per second above 0, at most 100000 (got "fast")\nRun with --help for the options.\n');
  });

  it('exits 1 when the registry file does not exist', async () => {
    const c = io();
    expect(await runCli(['--registry', join(dir, 'none.yaml'), '--dry-run', '--count', '1'], c.io)).toBe(1);
    expect(c.err()).toMatch(/--registry: registry .*none\.yaml is invalid:\n {2}- cannot read/);
  });

  it('writes a generated registry the gateway loads', async () => {
    const file = join(dir, 'fleet.yaml');
    const c = io();
    expect(await runCli(['--sites', '3', '--devices-per-site', '2', '--seed', '5', '--write-registry', file, '-q'], c.io)).toBe(0);
    const reg = loadRegistry(file);
    expect(reg.devices()).toHaveLength(6);
    expect(reg.warnings).toEqual([]);
  });
});
