import { randomBytes } from 'node:crypto';
import { CREDIT_GRADES, RISK_LEVELS } from '../../../gateway/src/domain/index.js';
import { canonicalJson, canonicalPool, computeDraw, EXPORT_FORMAT, hashOf, inspectionPolicySchema, policyVersion, sha256Hex, type InspectionPolicy, type PlanExport, type PlanParams, type Pool, type PoolSite } from '../../../gateway/src/inspections/index.js';

export const EMB = 'Emergency Management Bureau';
export const EEB = 'Ecology and Environment Bureau';

/** A policy whose shares are plain numbers, so rates can be checked against them directly. */
export function testPolicy(overrides: Partial<Record<string, number>> = {}): InspectionPolicy {
  const strata = (base: number) =>
    Object.fromEntries(
      CREDIT_GRADES.map((g, gi) => [g, Object.fromEntries(RISK_LEVELS.map((l, li) => [l, overrides[`${g}/${l}`] ?? Math.min(1, base * (1 + gi) * (1 + li))]))]),
    );
  return inspectionPolicySchema.parse({
    departments: [
      { department: EMB, sectors: ['hazardous_chemicals', 'fireworks'], minIntervalDays: 30, inspectorsPerVisit: 2, strata: strata(0.05) },
      { department: EEB, sectors: ['hazardous_chemicals', 'pollution_source'], minIntervalDays: 30, inspectorsPerVisit: 2, strata: strata(0.04) },
    ],
  });
}

export const params: PlanParams = { period: { from: '2026-12-01', to: '2026-12-31' }, departments: [EMB], scope: {} };

export function site(id: string, over: Partial<PoolSite> = {}): PoolSite {
  return {
    site: id,
    name: `Site ${id}`,
    sector: 'hazardous_chemicals',
    region: null,
    creditGrade: 'B',
    riskLevel: 'blue',
    keySupervision: false,
    departments: [EMB],
    inspectionsLastYear: 0,
    lastInspectedOn: null,
    excluded: [],
    ...over,
  };
}

/** `perStratum` sites in each of the 16 strata, and `inspectors` inspectors in each department. */
export function gridPool(perStratum: number, inspectors = 6): Pool {
  const sites: PoolSite[] = [];
  for (const g of CREDIT_GRADES) for (const l of RISK_LEVELS) for (let i = 0; i < perStratum; i++) sites.push(site(`s-${g}-${l}-${String(i).padStart(3, '0')}`, { creditGrade: g, riskLevel: l }));
  const people = [EMB, EEB].flatMap((d, di) => Array.from({ length: inspectors }, (_, i) => ({ id: `insp-${di}-${i}`, departments: [d] })));
  return canonicalPool({ sites, inspectors: people, items: { [EMB]: { hazardous_chemicals: ['HC-01', 'HC-02'] }, [EEB]: { hazardous_chemicals: ['PS-01'] } } });
}

export const newSeed = () => randomBytes(32).toString('hex');
export const fixedSeed = (n: number) => n.toString(16).padStart(64, '0');

/** A drawn plan's public export, as the gateway builds it, from a fixed seed and a grid pool. */
export function drawnExport(policy: InspectionPolicy = testPolicy(), seedN = 77): PlanExport {
  const seed = fixedSeed(seedN);
  const pool = gridPool(6);
  const draw = computeDraw(seed, pool, policy, params);
  return {
    format: EXPORT_FORMAT,
    id: 'plan-test',
    title: 'December hazchem',
    params,
    state: 'drawn',
    createdAt: '2026-11-30T08:00:00.000Z',
    drawnAt: '2026-12-01T08:00:00.000Z',
    seedHash: sha256Hex(Buffer.from(seed, 'hex')),
    seed,
    policyVersion: policyVersion(policy),
    policy,
    poolHash: hashOf(pool),
    pool,
    drawHash: sha256Hex(canonicalJson(draw)),
    draw,
    results: [],
  };
}
