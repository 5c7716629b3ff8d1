import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, type RegistryCliIo } from '../../../gateway/src/registry/cli.js';
import { loadRegistry, parseRegistry, RegistryError, verifySecret } from '../../../gateway/src/registry/index.js';

const site = (devices: unknown[]) => ({ sites: [{ id: 's1', name: 'Plant', sector: 'pollution_source', devices }] });
const problems = (raw: unknown) => {
  try {
    parseRegistry(raw);
    return [];
  } catch (err) {
    return (err as RegistryError).problems;
  }
};

describe('registry: protocol hj212 devices', () => {
  it('accepts a logger with an MN and a PW and defaults its CRC mode to hj212', () => {
    const r = parseRegistry(site([{ id: 'cod-01', protocol: 'hj212', hj212: { mn: 'MN0001', password: '123456' } }]));
    expect(r.byMn('MN0001')?.device).toBe('cod-01');
    expect(r.device('cod-01')!.entry.hj212!.crc).toBe('hj212');
  });

  it('refuses an MN used by two devices', () => {
    expect(
      problems({
        sites: [
          { id: 's1', name: 'A', sector: 'pollution_source', devices: [{ id: 'a', protocol: 'hj212', hj212: { mn: 'SAME', password: '123456' } }] },
          { id: 's2', name: 'B', sector: 'pollution_source', devices: [{ id: 'b', protocol: 'hj212', hj212: { mn: 'SAME', password: '654321' } }] },
        ],
      }).join(),
    ).toMatch(/MN "SAME" is already used by device a/);
  });

  it('refuses an hj212 device with an MQTT secret, without its hj212 block, or with both PW forms', () => {
    expect(problems(site([{ id: 'a', protocol: 'hj212', secret: 'plain-secret', hj212: { mn: 'M', password: '123456' } }])).join()).toMatch(/no MQTT secret/);
    expect(problems(site([{ id: 'a', protocol: 'hj212' }])).join()).toMatch(/needs hj212/);
    expect(problems(site([{ id: 'a', protocol: 'hj212', hj212: { mn: 'M', password: '123456', passwordHash: 'scrypt$1$a$b' } }])).join()).toMatch(/exactly one of "password" or "passwordHash"/);
  });

  it('refuses a PW holding the frame separators and an hj212 block on an MQTT device', () => {
    expect(problems(site([{ id: 'a', protocol: 'hj212', hj212: { mn: 'M', password: '12;3456' } }])).join()).toMatch(/may not contain/);
    expect(problems(site([{ id: 'a', secret: 'plain-secret', hj212: { mn: 'M', password: '123456' } }])).join()).toMatch(/only for protocol: hj212/);
  });
});

describe('npm run registry -- add-device --protocol hj212', () => {
  let dir: string;
  let file: string;
  const out: string[] = [];
  const err: string[] = [];
  const io: RegistryCliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), readStdin: async () => '', env: {} };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reg-hj-'));
    file = join(dir, 'registry.yaml');
    writeFileSync(file, 'sites:\n  - id: s1\n    name: Plant\n    sector: pollution_source\n    devices: []\n');
    out.length = 0;
    err.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the generated PW once and stores only its hash', async () => {
    expect(await run(['add-device', '--protocol', 'hj212', '--site', 's1', '--id', 'cod-01', '--mn', 'MN0001', '--crc', 'modbus', '--registry', file], io)).toBe(0);
    const pw = /\n {2}([0-9A-F]{24})\n/.exec(out.join(''))![1]!;
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(pw);
    const d = loadRegistry(file).byMn('MN0001')!;
    expect(d.entry).toMatchObject({ protocol: 'hj212', hj212: { mn: 'MN0001', crc: 'modbus' } });
    expect(await verifySecret(pw, { secretHash: d.entry.hj212!.passwordHash })).toBe(true);
  });

  it('refuses an MN that is already registered', async () => {
    await run(['add-device', '--protocol', 'hj212', '--site', 's1', '--id', 'a', '--mn', 'MN0001', '--registry', file], io);
    expect(await run(['add-device', '--protocol', 'hj212', '--site', 's1', '--id', 'b', '--mn', 'MN0001', '--registry', file], io)).toBe(1);
    expect(err.join('')).toMatch(/MN "MN0001" is already used by device a/);
  });

  it('refuses an unknown time zone and an MN on an MQTT device', async () => {
    expect(await run(['add-device', '--protocol', 'hj212', '--site', 's1', '--id', 'a', '--mn', 'M1', '--timezone', 'Mars/Olympus', '--registry', file], io)).toBe(1);
    expect(await run(['add-device', '--site', 's1', '--id', 'a', '--mn', 'M1', '--registry', file], io)).toBe(1);
  });

  it('rotate-secret gives an HJ 212 device a new PW', async () => {
    await run(['add-device', '--protocol', 'hj212', '--site', 's1', '--id', 'a', '--mn', 'M1', '--registry', file], io);
    out.length = 0;
    expect(await run(['rotate-secret', '--id', 'a', '--registry', file], io)).toBe(0);
    const pw = /\n {2}([0-9A-F]+)\n/.exec(out.join(''))![1]!;
    expect(await verifySecret(pw, { secretHash: loadRegistry(file).byMn('M1')!.entry.hj212!.passwordHash })).toBe(true);
  });
});
