import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalPool, computeDraw, DrawError, type Pool } from '../../../gateway/src/inspections/index.js';
import { EEB, EMB, fixedSeed, gridPool, newSeed, params, site, testPolicy } from './fixtures.js';

describe('the draw', () => {
  it('gives the same visits, byte for byte, for the same seed, pool, policy and plan', () => {
    const seed = newSeed();
    const a = computeDraw(seed, gridPool(10), testPolicy(), params);
    const b = computeDraw(seed, gridPool(10), testPolicy(), params);
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(a.visits.length).toBeGreaterThan(0);
  });

  it('gives a different selection for a different seed', () => {
    const pool = gridPool(10);
    const a = computeDraw(fixedSeed(1), pool, testPolicy(), params).visits.map((v) => v.site);
    const b = computeDraw(fixedSeed(2), pool, testPolicy(), params).visits.map((v) => v.site);
    expect(a).not.toEqual(b);
  });

  it('always includes key-supervision sites, even inspected yesterday and in a stratum sampled at 0', () => {
    const policy = testPolicy({ 'A/blue': 0 });
    const pool = canonicalPool({ ...gridPool(3), sites: [...gridPool(3).sites, site('key-1', { creditGrade: 'A', riskLevel: 'blue', keySupervision: true, lastInspectedOn: '2026-11-30', inspectionsLastYear: 40 })] });
    for (let i = 0; i < 50; i++) {
      const visit = computeDraw(fixedSeed(i + 1), pool, policy, params).visits.find((v) => v.site === 'key-1');
      expect(visit?.departments[0]?.reason).toBe('key_supervision');
    }
  });

  it('leaves out sites inspected within the minimum interval', () => {
    const policy = testPolicy({ 'B/blue': 1 });
    const pool = canonicalPool({ ...gridPool(0), sites: [site('recent', { lastInspectedOn: '2026-11-20' }), site('long-ago', { lastInspectedOn: '2026-10-01' })] });
    const sites = computeDraw(newSeed(), pool, policy, params).visits.map((v) => v.site);
    expect(sites).toEqual(['long-ago']);
  });

  it('leaves out a site that reached its stratum yearly cap', () => {
    const policy = testPolicy();
    policy.departments[0]!.strata.B.blue = { perYear: 2 };
    const pool = canonicalPool({ ...gridPool(0), sites: [site('at-cap', { inspectionsLastYear: 2 }), site('under', { inspectionsLastYear: 1 })] });
    const draw = computeDraw(newSeed(), pool, policy, params);
    expect(draw.strata.find((s) => s.stratum === 'B/blue')).toMatchObject({ candidates: 2, ineligible: 1 });
    expect(draw.visits.map((v) => v.site)).not.toContain('at-cap');
  });

  it('turns a yearly cap into a per-plan share of cap x days / 365', () => {
    const policy = testPolicy();
    policy.departments[0]!.strata.D.red = { perYear: 6 };
    const draw = computeDraw(newSeed(), gridPool(5), policy, params);
    expect(draw.strata.find((s) => s.stratum === 'D/red')?.share).toBeCloseTo((6 * 31) / 365, 12);
  });

  it('merges a site drawn by two departments into one visit with the items and inspectors of both', () => {
    const all = testPolicy();
    for (const d of all.departments) for (const g of ['A', 'B', 'C', 'D'] as const) d.strata[g] = { blue: 1, yellow: 1, orange: 1, red: 1 };
    const pool = canonicalPool({ ...gridPool(0), sites: [site('joint', { departments: [EMB, EEB] }), site('emb-only')] });
    const draw = computeDraw(newSeed(), pool, all, { ...params, departments: [EMB, EEB] });
    expect(draw.visits.map((v) => v.site)).toEqual(['emb-only', 'joint']);
    const joint = draw.visits[1]!;
    expect(joint.departments.map((d) => d.department)).toEqual([EEB, EMB]);
    expect(joint.items).toEqual(['HC-01', 'HC-02', 'PS-01']);
    expect(joint.inspectors).toHaveLength(4);
    expect(new Set(joint.inspectors).size).toBe(4);
  });

  it('refuses a draw when avoidance leaves a department fewer than two inspectors for a site', () => {
    const policy = testPolicy({ 'B/blue': 1 });
    const pool = canonicalPool({ ...gridPool(0, 3), sites: [site('conflicted', { excluded: ['insp-0-0', 'insp-0-1'] })] });
    expect(() => computeDraw(newSeed(), pool, policy, params)).toThrow(DrawError);
  });

  it('names a department missing from the policy', () => {
    expect(() => computeDraw(newSeed(), gridPool(1), testPolicy(), { ...params, departments: ['Tax Bureau'] })).toThrow(/no entry for department "Tax Bureau"/);
  });
});

describe('selection rates over 1,000 seeded draws', () => {
  // 20 sites per stratum x 1,000 draws = 20,000 trials per stratum. The count of drawn sites in
  // one draw is floor(n p) or that plus one, with the expected value n p exactly, so the observed
  // rate's standard deviation is at most sqrt(0.25 / 1000) / 20 ≈ 0.0008 in the count rounding
  // plus the per-site variance; 0.02 absolute is more than five standard deviations for every p.
  const TOLERANCE = 0.02;
  const DRAWS = 1000;
  const PER = 20;
  const policy = testPolicy();
  const pool = gridPool(PER, 4);
  const drawnPerStratum = new Map<string, number>();
  for (let i = 0; i < DRAWS; i++) {
    for (const s of computeDraw(fixedSeed(i + 1), pool, policy, params).strata) drawnPerStratum.set(s.stratum, (drawnPerStratum.get(s.stratum) ?? 0) + s.drawn);
  }
  const rate = (k: string) => (drawnPerStratum.get(k) ?? 0) / (DRAWS * PER);

  it('matches the policy share of every stratum within 0.02', () => {
    const strata = policy.departments[0]!.strata;
    for (const g of ['A', 'B', 'C', 'D'] as const) for (const l of ['blue', 'yellow', 'orange', 'red'] as const) expect(Math.abs(rate(`${g}/${l}`) - (strata[g][l] as number)), `${g}/${l}`).toBeLessThan(TOLERANCE);
  });

  it('draws D/red sites more often than A/blue sites', () => {
    expect(rate('D/red')).toBeGreaterThan(rate('A/blue') * 4);
  });
});

describe('inspector assignment (property)', () => {
  const arbPool = fc
    .record({
      sites: fc.array(
        fc.record({
          grade: fc.constantFrom('A', 'B', 'C', 'D' as const),
          level: fc.constantFrom('blue', 'yellow', 'orange', 'red' as const),
          key: fc.boolean(),
          both: fc.boolean(),
          excluded: fc.subarray(['insp-0-0', 'insp-0-1', 'insp-0-2', 'insp-1-0', 'insp-1-1', 'insp-1-2']),
        }),
        { maxLength: 25 },
      ),
      seed: fc.integer({ min: 1, max: 2 ** 31 }),
    })
    .map(({ sites, seed }) => {
      const base = gridPool(0, 5);
      const pool: Pool = canonicalPool({
        ...base,
        sites: sites.map((s, i) => site(`p-${i}`, { creditGrade: s.grade as 'A', riskLevel: s.level as 'blue', keySupervision: s.key, departments: s.both ? [EMB, EEB] : [EMB], excluded: s.excluded })),
      });
      return { pool, seed: fixedSeed(seed) };
    });

  it('never sends fewer than two inspectors per department, an excluded inspector, or one twice', () => {
    const policy = testPolicy();
    let drawn = 0;
    fc.assert(
      fc.property(arbPool, ({ pool, seed }) => {
        let draw;
        try {
          draw = computeDraw(seed, pool, policy, { ...params, departments: [EMB, EEB] });
        } catch (err) {
          // Refusing is allowed only when avoidance really leaves too few.
          if (!(err instanceof DrawError)) throw err;
          return true;
        }
        drawn++;
        for (const v of draw.visits) {
          const s = pool.sites.find((p) => p.site === v.site)!;
          expect(new Set(v.inspectors).size).toBe(v.inspectors.length);
          for (const d of v.departments) {
            expect(d.inspectors.length).toBeGreaterThanOrEqual(2);
            for (const i of d.inspectors) {
              expect(s.excluded).not.toContain(i);
              expect(pool.inspectors.find((p) => p.id === i)!.departments).toContain(d.department);
            }
          }
        }
        for (const s of pool.sites) if (s.keySupervision) expect(draw.visits.map((v) => v.site)).toContain(s.site);
        return true;
      }),
      { numRuns: 300, seed: 16 },
    );
    // The property is about real draws: most generated pools must have been drawn, not refused.
    expect(drawn).toBeGreaterThan(250);
  });
});
