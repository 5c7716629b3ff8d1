import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('the simulator and the gateway', () => {
  it('share only the protocol face: device-sim imports nothing else of gateway/src', () => {
    const files = sources('device-sim/src');
    const imports = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/from '((?:\.\.\/)+gateway\/src\/[^']+)'/g)].map((m) => m[1]!.replace(/^(\.\.\/)+/, '')));
    expect(imports.length).toBeGreaterThan(0);
    expect([...new Set(imports)]).toEqual(['gateway/src/protocol/index.js']);
  });
});
