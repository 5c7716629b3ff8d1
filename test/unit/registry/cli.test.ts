import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run, type RegistryCliIo } from '../../../gateway/src/registry/cli.js';
import { loadRegistry, verifySecret } from '../../../gateway/src/registry/index.js';

const START = `# Registry for the CLI tests.
sites:
  - id: s1
    name: Site one # keep this comment
    sector: mining
    devices:
      - { id: d1, kind: sensor, secret: "plain-secret-1" }
`;

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'reg-cli-'));
  file = join(dir, 'registry.yaml');
  writeFileSync(file, START);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io(stdin = '', env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const it: RegistryCliIo & { stdout: () => string; stderr: () => string } = {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    readStdin: async () => stdin,
    env,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
  return it;
}

/** The secret add-device / rotate-secret printed: the indented line after the note. */
function printedSecret(stdout: string): string {
  const m = /^ {2}(\S+)$/m.exec(stdout);
  if (!m) throw new Error(`no secret in: ${stdout}`);
  return m[1]!;
}

describe('registry add-device', () => {
  it('stores a scrypt hash that verifies the printed secret, and not the secret itself', async () => {
    const t = io();
    expect(await run(['add-device', '--site', 's1', '--id', 'd2', '--registry', file], t)).toBe(0);
    const secret = printedSecret(t.stdout());
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(secret);
    const entry = loadRegistry(file).device('d2')!.entry;
    expect(entry.secretHash).toMatch(/^scrypt\$/);
    expect(entry.secret).toBeUndefined();
    expect(await verifySecret(secret, entry)).toBe(true);
  });

  it('says with the secret that it is not stored', async () => {
    const t = io();
    await run(['add-device', '--site', 's1', '--id', 'd2', '--registry', file], t);
    expect(t.stdout()).toMatch(/shown only this once; it is NOT stored/);
  });

  it('prints a different random secret of at least 32 characters for each device', async () => {
    const a = io();
    const b = io();
    await run(['add-device', '--site', 's1', '--id', 'd2', '--registry', file], a);
    await run(['add-device', '--site', 's1', '--id', 'd3', '--registry', file], b);
    expect(printedSecret(a.stdout()).length).toBeGreaterThanOrEqual(32);
    expect(printedSecret(a.stdout())).not.toBe(printedSecret(b.stdout()));
  });

  it('keeps the comments and the one-line style of the existing entries', async () => {
    await run(['add-device', '--site', 's1', '--id', 'd2', '--kind', 'camera', '--registry', file], io());
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# Registry for the CLI tests.');
    expect(text).toContain('# keep this comment');
    expect(text).toContain('- { id: d1, kind: sensor, secret: "plain-secret-1" }');
    expect(text).toMatch(/- \{ id: d2, kind: camera, secretHash: scrypt\$[^\n]+ \}\n/);
  });

  it('refuses a device id already used by any site, with exit 1 and the file unchanged', async () => {
    await run(['add-site', '--id', 's2', '--name', 'Site two', '--sector', 'other', '--registry', file], io());
    const before = readFileSync(file, 'utf8');
    const t = io();
    expect(await run(['add-device', '--site', 's2', '--id', 'd1', '--registry', file], t)).toBe(1);
    expect(t.stderr()).toContain('a device with id "d1" is already in');
    expect(t.stdout()).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses an unknown site with exit 1, naming it', async () => {
    const t = io();
    expect(await run(['add-device', '--site', 'nowhere', '--id', 'd2', '--registry', file], t)).toBe(1);
    expect(t.stderr()).toContain('no site "nowhere"');
    expect(readFileSync(file, 'utf8')).toBe(START);
  });

  it('refuses a device id that could break a topic or a query', async () => {
    const t = io();
    expect(await run(['add-device', '--site', 's1', '--id', '../d2', '--registry', file], t)).toBe(1);
    expect(t.stderr()).toMatch(/device id "\.\.\/d2": must be/);
  });

  it('refuses an unknown kind', async () => {
    const t = io();
    expect(await run(['add-device', '--site', 's1', '--id', 'd2', '--kind', 'toaster', '--registry', file], t)).toBe(1);
    expect(t.stderr()).toContain('--kind "toaster"');
  });

  it('uses $GATEWAY_REGISTRY when no --registry is given', async () => {
    expect(await run(['add-device', '--site', 's1', '--id', 'd2'], io('', { GATEWAY_REGISTRY: file }))).toBe(0);
    expect(loadRegistry(file).device('d2')).toBeDefined();
  });

  it('refuses a missing registry file instead of creating one without the site', async () => {
    const t = io();
    expect(await run(['add-device', '--site', 's1', '--id', 'd2', '--registry', join(dir, 'none.yaml')], t)).toBe(1);
    expect(t.stderr()).toContain('no such file');
  });
});

describe('registry add-site', () => {
  it('adds a site the gateway loads, with an empty device list', async () => {
    expect(await run(['add-site', '--id', 's2', '--name', 'Site two', '--sector', 'food_service', '--credit-code', '91310110666007217T', '--registry', file], io())).toBe(0);
    expect(loadRegistry(file).site('s2')).toMatchObject({ id: 's2', name: 'Site two', sector: 'food_service', creditCode: '91310110666007217T', devices: [] });
  });

  it('creates the registry file when there is none', async () => {
    const fresh = join(dir, 'new.yaml');
    expect(await run(['add-site', '--id', 's9', '--name', 'New', '--sector', 'mining', '--registry', fresh], io())).toBe(0);
    expect(parse(readFileSync(fresh, 'utf8'))).toEqual({ sites: [{ id: 's9', name: 'New', sector: 'mining', devices: [] }] });
  });

  it('refuses a site id that exists, with exit 1', async () => {
    const t = io();
    expect(await run(['add-site', '--id', 's1', '--name', 'Again', '--sector', 'mining', '--registry', file], t)).toBe(1);
    expect(t.stderr()).toContain('a site with id "s1" is already in');
  });

  it('refuses an unknown sector, listing the known ones', async () => {
    const t = io();
    expect(await run(['add-site', '--id', 's2', '--name', 'Farm', '--sector', 'farming', '--registry', file], t)).toBe(1);
    expect(t.stderr()).toContain('must be one of hazardous_chemicals, mining');
  });

  it('warns about a credit code with a wrong check character and still adds the site', async () => {
    const t = io();
    expect(await run(['add-site', '--id', 's2', '--name', 'Pilot', '--sector', 'other', '--credit-code', '91350100M0001TGQXM', '--registry', file], t)).toBe(0);
    expect(t.stderr()).toMatch(/^warning: credit code 91350100M0001TGQXM/);
    expect(loadRegistry(file).site('s2')).toBeDefined();
  });

  it('answers a missing option with exit 1 naming it', async () => {
    const t = io();
    expect(await run(['add-site', '--id', 's2', '--sector', 'other', '--registry', file], t)).toBe(1);
    expect(t.stderr()).toContain('--name is required');
  });
});

describe('registry rotate-secret', () => {
  it('replaces a plain secret by the hash of a new one, so the old one no longer verifies', async () => {
    const t = io();
    expect(await run(['rotate-secret', '--id', 'd1', '--registry', file], t)).toBe(0);
    const secret = printedSecret(t.stdout());
    const entry = loadRegistry(file).device('d1')!.entry;
    expect(entry.secret).toBeUndefined();
    expect(await verifySecret(secret, entry)).toBe(true);
    expect(await verifySecret('plain-secret-1', entry)).toBe(false);
    expect(readFileSync(file, 'utf8')).not.toContain('plain-secret-1');
  });

  it('refuses an unknown device with exit 1', async () => {
    const t = io();
    expect(await run(['rotate-secret', '--id', 'ghost', '--registry', file], t)).toBe(1);
    expect(t.stderr()).toContain('no device "ghost"');
  });
});

describe('registry hash', () => {
  it('prints a hash of the secret read from standard input, without its line ending', async () => {
    const t = io('a-secret-from-stdin\n');
    expect(await run(['hash'], t)).toBe(0);
    const hash = t.stdout().trim();
    expect(hash).toMatch(/^scrypt\$16384\$/);
    expect(await verifySecret('a-secret-from-stdin', { secretHash: hash })).toBe(true);
  });

  it('refuses a secret shorter than 8 characters', async () => {
    const t = io('short\n');
    expect(await run(['hash'], t)).toBe(1);
    expect(t.stdout()).toBe('');
  });
});

describe('registry command line', () => {
  it('prints the usage with --help and exits 0', async () => {
    const t = io();
    expect(await run(['--help'], t)).toBe(0);
    expect(t.stdout()).toContain('add-device --site S --id D [--kind sensor|camera]');
  });

  it('prints the usage for --help after a command without running it', async () => {
    const t = io();
    expect(await run(['add-device', '--help'], t)).toBe(0);
    expect(t.stdout()).toContain('Usage:');
  });

  it('answers an unknown command with exit 2', async () => {
    const t = io();
    expect(await run(['remove-everything'], t)).toBe(2);
    expect(t.stderr()).toContain('unknown command "remove-everything"');
  });

  it('answers an unknown option with exit 2', async () => {
    const t = io();
    expect(await run(['add-device', '--site', 's1', '--id', 'd2', '--colour', 'red', '--registry', file], t)).toBe(2);
    expect(t.stderr()).toContain('--colour');
  });
});
