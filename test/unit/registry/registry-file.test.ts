import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegistry, RegistryError } from '../../../gateway/src/registry/index.js';

function file(text: string) {
  const p = join(mkdtempSync(join(tmpdir(), 'gw-reg-')), 'registry.yaml');
  writeFileSync(p, text);
  return p;
}

describe('reading the registry file', () => {
  it('keeps a date-like name as the text it is (plain YAML 1.2 scalars, no timestamps)', () => {
    const r = loadRegistry(file('sites:\n  - id: s1\n    name: 2026-12-01\n    sector: mining\n    devices: [{ id: d1, kind: sensor, secret: "0123456789abcdef" }]\n'));
    expect(r.site('s1')!.name).toBe('2026-12-01');
  });

  it('refuses a key given twice in one mapping, naming the file', () => {
    const p = file('sites:\n  - id: s1\n    id: s2\n    sector: mining\n    devices: []\n');
    expect(() => loadRegistry(p)).toThrow(RegistryError);
    expect(() => loadRegistry(p)).toThrow(/not valid YAML.*duplicated mapping key/s);
  });
});
