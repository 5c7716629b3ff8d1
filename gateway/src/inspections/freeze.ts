import type { CreditGrade, RiskLevel, Sector } from '../domain/index.js';
import { canonicalPool, type PlanParams, type Pool } from './pool.js';

export interface FreezeInput {
  params: PlanParams;
  sites: Array<{ id: string; name: string; sector: Sector; region: string | null; creditGrade: CreditGrade | null; keySupervision: boolean; departments: string[]; riskLevel: RiskLevel }>;
  inspectors: Array<{ id: string; departments: string[]; conflicts: string[] }>;
  /** Past visits: site, day inspected (YYYY-MM-DD, null when drawn but not yet recorded), inspectors, and when drawn. */
  history: Array<{ site: string; inspectedOn: string | null; inspectors: string[]; drawnAt: number }>;
  catalogue: Array<{ code: string; sector: string; department: string }>;
}

const DAY = 86_400_000;

/**
 * The candidate pool of a plan, from the registry, profiles, inspectors and past visits as they
 * are at the draw. Sites are those of the plan's departments; what the draw may not use
 * (conflicts, the last visit's inspectors) is written into the pool as `excluded`, so the
 * published pool says it without saying why.
 */
export function freezePool(input: FreezeInput): Pool {
  const depts = new Set(input.params.departments);
  const start = Date.parse(`${input.params.period.from}T00:00:00Z`);
  const yearAgo = new Date(start - 365 * DAY).toISOString().slice(0, 10);
  const from = input.params.period.from;
  const sites = input.sites
    .filter((s) => s.departments.some((d) => depts.has(d)))
    .map((s) => {
      const past = input.history.filter((h) => h.site === s.id);
      const inspected = past.filter((h) => h.inspectedOn !== null && h.inspectedOn < from).map((h) => h.inspectedOn!);
      const last = [...past].sort((a, b) => b.drawnAt - a.drawnAt)[0];
      const conflicted = input.inspectors.filter((i) => i.conflicts.includes(s.id)).map((i) => i.id);
      return {
        site: s.id,
        name: s.name,
        sector: s.sector,
        region: s.region,
        creditGrade: s.creditGrade,
        riskLevel: s.riskLevel,
        keySupervision: s.keySupervision,
        departments: s.departments,
        inspectionsLastYear: inspected.filter((d) => d >= yearAgo).length,
        lastInspectedOn: inspected.length ? inspected.sort().at(-1)! : null,
        // 回避: declared conflicts, and not the same inspector at the same site twice in a row.
        excluded: [...conflicted, ...(last?.inspectors ?? [])],
      };
    });
  const items: Pool['items'] = {};
  for (const d of depts) {
    items[d] = {};
    for (const i of input.catalogue) if (i.department === d) (items[d][i.sector] ??= []).push(i.code);
  }
  const inspectors = input.inspectors.filter((i) => i.departments.some((d) => depts.has(d))).map((i) => ({ id: i.id, departments: i.departments }));
  return canonicalPool({ sites, inspectors, items });
}
