import { describe, expect, it } from 'vitest';
import { planHtml } from '../../../gateway/src/api/public-html.js';
import { canonicalJson, computeDraw, EXPORT_FORMAT, hashOf, policyVersion, sha256Hex, verifyExport, withInspectorNames, type PlanExport } from '../../../gateway/src/inspections/index.js';
import { fixedSeed, gridPool, params, testPolicy } from './fixtures.js';

// Inspectors' personal names on the public export: only when the plan's policy publishes them.
function exported(inspectorNames: boolean): PlanExport {
  const seed = fixedSeed(16);
  const pool = gridPool(6);
  const policy = { ...testPolicy(), publish: { inspectorIds: true, inspectorNames } };
  const draw = computeDraw(seed, pool, policy, params);
  return {
    format: EXPORT_FORMAT,
    id: 'plan-names',
    title: 'names',
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
const namesOf = (e: PlanExport) => Object.fromEntries([...new Set(e.draw!.visits.flatMap((v) => v.inspectors))].map((id, i) => [id, `赵某${i}`]));

describe('inspector names on the public export', () => {
  it('are left out under a policy that does not publish them (the default)', () => {
    const e = exported(false);
    const out = withInspectorNames(e, { ...namesOf(e), outsider: '外人' });
    expect(out.inspectorNames).toBeUndefined();
    expect(planHtml(out)).not.toContain('赵某');
  });

  it('are given for the drawn inspectors only under a policy that publishes them, and the export still verifies', () => {
    const e = exported(true);
    const out = withInspectorNames(e, { ...namesOf(e), outsider: '外人' });
    expect(out.inspectorNames).toEqual(namesOf(e));
    expect(planHtml(out)).toContain(`赵某0 (${Object.keys(namesOf(e))[0]})`);
    expect(verifyExport(JSON.parse(JSON.stringify(out))).ok).toBe(true);
  });
});
