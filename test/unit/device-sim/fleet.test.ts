import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN, SECTORS } from '../../../gateway/src/domain/index.js';
import { checkCreditCode, parseRegistry } from '../../../gateway/src/registry/index.js';
import { generateRegistry, makeCreditCode, registryToYaml } from '../../../device-sim/src/fleet.js';
import { createRng } from '../../../device-sim/src/prng.js';

describe('generateRegistry', () => {
  const registry = generateRegistry({ sites: 12, devicesPerSite: 5, camerasPerSite: 2, sector: 'mixed', seed: 9 });

  it('produces a registry the gateway parses without warnings', () => {
    expect(parseRegistry(registry).warnings).toEqual([]);
  });

  it('survives the trip through YAML', () => {
    const reloaded = parseRegistry(parseYaml(registryToYaml(registry)));
    expect(reloaded.devices()).toHaveLength(60);
  });

  it('numbers the sites sim-0001, sim-0002 and so on', () => {
    expect(registry.sites.slice(0, 3).map((s) => s.id)).toEqual(['sim-0001', 'sim-0002', 'sim-0003']);
  });

  it('gives every device an id unique across the registry and valid as a topic level', () => {
    const ids = registry.sites.flatMap((s) => s.devices.map((d) => d.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(ID_PATTERN);
  });

  it('gives every site a credit code whose check characters hold', () => {
    for (const s of registry.sites) expect(checkCreditCode(s.creditCode!)).toBeNull();
  });

  it('rotates through every sector but "other" in a mixed fleet', () => {
    expect(new Set(registry.sites.map((s) => s.sector))).toEqual(new Set(SECTORS.filter((s) => s !== 'other')));
  });

  it('makes the last devices of a site cameras, and every device of a kitchen', () => {
    for (const s of registry.sites) {
      const cameras = s.devices.filter((d) => d.kind === 'camera').length;
      expect(cameras).toBe(s.sector === 'food_service' ? 5 : 2);
      if (s.sector !== 'food_service') expect(s.devices.at(-1)!.kind).toBe('camera');
    }
  });

  it('draws the same secrets from the same seed', () => {
    expect(generateRegistry({ sites: 2, devicesPerSite: 2, seed: 'a' })).toEqual(generateRegistry({ sites: 2, devicesPerSite: 2, seed: 'a' }));
  });

  it('draws other secrets from another seed', () => {
    const secrets = (seed: string) => generateRegistry({ sites: 1, devicesPerSite: 2, seed }).sites[0]!.devices.map((d) => d.secret);
    expect(secrets('a')).not.toEqual(secrets('b'));
  });

  it('draws a fresh seed when none is given', () => {
    const secret = () => generateRegistry({ sites: 1, devicesPerSite: 1 }).sites[0]!.devices[0]!.secret;
    expect(secret()).not.toBe(secret());
  });

  it('uses one sector for all sites when asked', () => {
    const mines = generateRegistry({ sites: 3, devicesPerSite: 1, sector: 'mining', seed: 1 });
    expect(mines.sites.map((s) => s.sector)).toEqual(['mining', 'mining', 'mining']);
    expect(mines.sites[0]!.devices[0]!.id).toBe('sim-0001-mine-01');
  });
});

describe('makeCreditCode', () => {
  it('makes codes that pass GB 32100 and the nested GB 11714 check', () => {
    const rng = createRng('codes');
    for (let i = 0; i < 500; i++) {
      const code = makeCreditCode(rng);
      expect(checkCreditCode(code), code).toBeNull();
      const org = code.slice(8, 16);
      const weights = [3, 7, 9, 10, 5, 8, 4, 2];
      const c = 11 - ([...org].reduce((s, ch, j) => s + Number(ch) * weights[j]!, 0) % 11);
      expect(code[16]).toBe(c === 10 ? 'X' : c === 11 ? '0' : String(c));
    }
  });
});
