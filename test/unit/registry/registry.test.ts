import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCreditCode, hashSecret, loadRegistry, parseRegistry, RegistryError, verifySecret } from '../../../gateway/src/registry/index.js';

const site = (over: Record<string, unknown> = {}) => ({
  id: 's1',
  name: 'Site one',
  sector: 'mining',
  devices: [{ id: 'd1', kind: 'sensor', secret: 'secret-123' }],
  ...over,
});

describe('registry', () => {
  it('finds a device by id with its site and sector', () => {
    const r = parseRegistry({ sites: [site()] });
    expect(r.device('d1')).toMatchObject({ site: 's1', device: 'd1', sector: 'mining', kind: 'sensor' });
  });

  it('gives each device its entry as the file set it, unset fields absent', () => {
    const r = parseRegistry({ sites: [site({ devices: [{ id: 'd1', secret: 'secret-123' }, { id: 'cam', kind: 'camera', name: 'Gate', secretHash: 'scrypt$16384$c2FsdA==$aGFzaA==', profile: 'acme' }] })] });
    const d1 = r.device('d1')!.entry;
    expect([d1.id, d1.kind, d1.secret, d1.secretHash, d1.name, d1.protocol, d1.hj212, d1.profile]).toEqual(['d1', 'sensor', 'secret-123', undefined, undefined, undefined, undefined, undefined]);
    const cam = r.device('cam')!.entry;
    expect([cam.id, cam.kind, cam.name, cam.secret, cam.secretHash, cam.profile]).toEqual(['cam', 'camera', 'Gate', undefined, 'scrypt$16384$c2FsdA==$aGFzaA==', 'acme']);
  });

  it('lists the same devices under their site as by id', () => {
    const r = parseRegistry({ sites: [site({ devices: [{ id: 'd1', secret: 'secret-123' }, { id: 'd2', kind: 'camera', secret: 'secret-456' }] })] });
    expect(r.site('s1')!.devices.map((d) => [d.id, d.kind, d.secret])).toEqual([
      ['d1', 'sensor', 'secret-123'],
      ['d2', 'camera', 'secret-456'],
    ]);
    expect(r.devices().map((d) => [d.site, d.device, d.kind, d.entry.id])).toEqual([
      ['s1', 'd1', 'sensor', 'd1'],
      ['s1', 'd2', 'camera', 'd2'],
    ]);
  });

  it('refuses a device id used by two sites', () => {
    expect(() => parseRegistry({ sites: [site(), site({ id: 's2' })] })).toThrow(/device id "d1" is already used by site s1/);
  });

  it('refuses an unknown sector naming the path', () => {
    expect(() => parseRegistry({ sites: [site({ sector: 'farming' })] })).toThrow(/sites\.0\.sector/);
  });

  it('refuses a device with neither secret nor secret hash', () => {
    expect(() => parseRegistry({ sites: [site({ devices: [{ id: 'd1' }] })] })).toThrow(RegistryError);
  });

  it('warns, without refusing, when a credit code check character is wrong', () => {
    const r = parseRegistry({ sites: [site({ creditCode: '91350100M0001TGQXM' })] });
    expect(r.warnings[0]).toMatch(/expected 1/);
  });

  it('names the file when the YAML cannot be parsed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reg-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, 'sites: [\n  - id: : :');
    expect(() => loadRegistry(file)).toThrow(new RegExp(`registry ${file} is invalid`));
  });
});

describe('checkCreditCode', () => {
  it('accepts published valid codes', () => {
    for (const c of ['91310110666007217T', '91310115591693856A', '91330101589882738D']) expect(checkCreditCode(c)).toBeNull();
  });

  it('names the expected check character of a pilot-era code', () => {
    expect(checkCreditCode('91350211M0000XUF46')).toBe('check character is 6, expected R');
  });

  it('refuses letters outside the alphabet', () => {
    expect(checkCreditCode('9131011066600721IO')).toMatch(/18 characters/);
  });
});

describe('device secrets', () => {
  it('verifies a secret against its scrypt hash', async () => {
    const h = hashSecret('correct horse');
    expect(await verifySecret('correct horse', { secretHash: h })).toBe(true);
    expect(await verifySecret('wrong horse', { secretHash: h })).toBe(false);
  });

  it('verifies a plain development secret', async () => {
    expect(await verifySecret('secret-123', { secret: 'secret-123' })).toBe(true);
    expect(await verifySecret('secret-12', { secret: 'secret-123' })).toBe(false);
  });
});
