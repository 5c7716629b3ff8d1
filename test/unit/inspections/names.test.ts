import { describe, expect, it } from 'vitest';
import { planHtml } from '../../../gateway/src/api/public-html.js';
import { verifyExport, withInspectorNames, type PlanExport } from '../../../gateway/src/inspections/index.js';
import { drawnExport, testPolicy } from './fixtures.js';

// Inspectors' personal names on the public export: only when the plan's policy publishes them.
const exported = (inspectorNames: boolean): PlanExport => drawnExport({ ...testPolicy(), publish: { inspectorIds: true, inspectorNames } }, 16);
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
