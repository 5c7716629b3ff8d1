import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../gateway/src/observability/index.js';
import { decodeMessage } from '../../../gateway/src/ingest/index.js';
import { createProfiles } from '../../../gateway/src/profiles/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-profiles-reload-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const good = 'id: vendor\nroutes:\n  - topic: v/data\n    channel: telemetry\n    metrics: [{ path: t, metric: temperature }]\n';
const make = () => createProfiles({ dir, logger: createLogger('silent'), decode: (t, p, d, n) => decodeMessage(t, p, d, n), maxJsonDepth: 8 });

describe('reloading payload profiles', () => {
  it('takes a valid changed set', () => {
    writeFileSync(join(dir, 'vendor.yaml'), good);
    const profiles = make();
    writeFileSync(join(dir, 'other.yaml'), good.replace('id: vendor', 'id: other'));
    expect(profiles.reload()).toEqual({ ok: true, profiles: ['other', 'vendor'] });
  });

  it('refuses an invalid set with file and reason and keeps the profiles in force', () => {
    writeFileSync(join(dir, 'vendor.yaml'), good);
    const profiles = make();
    writeFileSync(join(dir, 'vendor.yaml'), good.replace('metric: temperature', 'metric: "Temp C"'));
    const r = profiles.reload();
    expect(r.ok).toBe(false);
    expect((r as { problems: Array<{ file: string }> }).problems[0]!.file).toBe('vendor.yaml');
    expect(profiles.has('vendor')).toBe(true);
  });

  it('refuses to start on an invalid set', () => {
    writeFileSync(join(dir, 'vendor.yaml'), 'id: vendor\nroutes: []\n');
    expect(make).toThrow(/vendor\.yaml: routes/);
  });
});
