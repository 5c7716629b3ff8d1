import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../gateway/src/inspections/cli.js';
import { canonicalJson, computeDraw, EXPORT_FORMAT, hashOf, policyVersion, sha256Hex, verifyExport, type PlanExport } from '../../../gateway/src/inspections/index.js';
import { drawnExport, fixedSeed } from './fixtures.js';

const exported = (): PlanExport => drawnExport();
// What a downloaded file holds: the export after a JSON round trip.
const asPublished = (e: PlanExport) => JSON.parse(JSON.stringify(e));
const failed = (r: ReturnType<typeof verifyExport>) => r.checks.filter((c) => !c.ok).map((c) => c.check);

describe('verify', () => {
  it('accepts an untouched export', () => {
    const r = verifyExport(asPublished(exported()));
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('catches a changed seed', () => {
    const e = asPublished(exported());
    e.seed = fixedSeed(78);
    expect(failed(verifyExport(e))).toContain('seed');
  });

  it('catches a seed swapped together with its hash: the draw no longer matches', () => {
    const e = asPublished(exported());
    e.seed = fixedSeed(78);
    e.seedHash = sha256Hex(Buffer.from(e.seed, 'hex'));
    expect(failed(verifyExport(e))).toContain('draw');
  });

  it('catches a site removed from the pool', () => {
    const e = asPublished(exported());
    e.pool.sites.splice(3, 1);
    expect(failed(verifyExport(e))).toContain('pool');
  });

  it('catches a pool changed with its hash recomputed: the draw differs', () => {
    const e = asPublished(exported());
    const victim = e.draw.visits[0].site;
    e.pool.sites = e.pool.sites.filter((s: { site: string }) => s.site !== victim);
    e.poolHash = hashOf(e.pool);
    expect(failed(verifyExport(e))).toContain('draw');
  });

  it('catches a changed policy', () => {
    const e = asPublished(exported());
    e.policy.departments[0].strata.D.red = 0.01;
    expect(failed(verifyExport(e))).toEqual(expect.arrayContaining(['policy', 'draw']));
  });

  it('catches a visit edited into the published draw', () => {
    const e = asPublished(exported());
    e.draw.visits[0].inspectors = ['insp-0-5', 'insp-0-4'];
    expect(failed(verifyExport(e))).toContain('draw');
  });

  it('says a plan not yet drawn cannot be verified', () => {
    const e = asPublished({ ...exported(), seed: null, draw: null, state: 'committed' });
    const r = verifyExport(e);
    expect(r.ok).toBe(false);
    expect(r.checks[0]!.detail).toMatch(/not been drawn/);
  });
});

describe('npm run inspections -- verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verify-'));
  const run = (args: string[]) => {
    let out = '';
    let err = '';
    const code = main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  };

  it('exits 0 and says MATCH for an untouched export file', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(exported()));
    const r = run(['verify', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/MATCH/);
  });

  it('exits 1 and names the failing check for a tampered file', () => {
    const e = asPublished(exported());
    e.pool.sites.pop();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(e));
    const r = run(['verify', file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL pool/);
  });

  it('exits 2 with usage when no file is given', () => {
    expect(run(['verify']).code).toBe(2);
  });
});
