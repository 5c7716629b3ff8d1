import { z } from 'zod';
import { creditGradeSchema, riskLevelSchema, type CreditGrade } from '../domain/index.js';
import { stratumCap, stratumShare, strata, type DepartmentPolicy, type InspectionPolicy } from './policy.js';
import type { PlanParams, Pool, PoolSite } from './pool.js';
import { createStream, pick } from './random.js';

/** Why a department's sample holds a site. */
export const selectionSchema = z.object({
  department: z.string(),
  reason: z.enum(['key_supervision', 'sampled']),
  stratum: z.string(),
  items: z.array(z.string()),
  inspectors: z.array(z.string()),
});

/** One visit: "进一次门、查多项事", every department that drew the site goes in together. */
export const visitSchema = z.object({
  site: z.string(),
  creditGrade: creditGradeSchema,
  riskLevel: riskLevelSchema,
  departments: z.array(selectionSchema),
  items: z.array(z.string()),
  inspectors: z.array(z.string()),
});
export type Visit = z.infer<typeof visitSchema>;

export const strataReportSchema = z.object({
  department: z.string(),
  stratum: z.string(),
  candidates: z.number(),
  /** Left out before sampling: inspected too recently or at the stratum's yearly cap. */
  ineligible: z.number(),
  share: z.number(),
  drawn: z.number(),
});

export const drawSchema = z.object({
  visits: z.array(visitSchema),
  strata: z.array(strataReportSchema),
});
export type Draw = z.infer<typeof drawSchema>;

export class DrawError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrawError';
  }
}

const DAY = 86_400_000;
const dayNumber = (d: string) => Math.floor(Date.parse(`${d}T00:00:00Z`) / DAY);
export const planDays = (p: PlanParams) => dayNumber(p.period.to) - dayNumber(p.period.from) + 1;

function inScope(site: PoolSite, params: PlanParams): boolean {
  const { sectors, regions } = params.scope;
  if (sectors && !sectors.includes(site.sector)) return false;
  if (regions && (site.region === null || !regions.includes(site.region))) return false;
  return true;
}

/**
 * The draw: a pure function of the seed, the frozen pool, the policy and the plan, so the
 * gateway and `npm run inspections -- verify` compute the same bytes. Steps, per department
 * in name order:
 *  1. candidates: pool sites of the department, in its policy's sectors and the plan's scope;
 *  2. key-supervision sites are all taken (全覆盖);
 *  3. the others, by stratum (credit grade x risk level, A/blue..D/red): sites inspected within
 *     minIntervalDays of the plan's first day, or at the stratum's yearly cap, are left out;
 *     of the n eligible, floor(n x share) are taken, plus one more when unit() of the stream
 *     `count:<dept>:<stratum>` is below the fraction (so the expected rate is the share exactly);
 *     which ones: a Fisher-Yates pick over the stratum in site-id order with `sites:<dept>:<stratum>`;
 *  4. a site drawn by several departments becomes one visit with all their items;
 *  5. per visit and department, `inspectorsPerVisit` inspectors of that department, none of the
 *     site's excluded ones nor one already on the visit, picked with `inspectors:<dept>:<site>`.
 */
export function computeDraw(seed: string, pool: Pool, policy: InspectionPolicy, params: PlanParams): Draw {
  const days = planDays(params);
  const start = dayNumber(params.period.from);
  const grade = (s: PoolSite): CreditGrade => s.creditGrade ?? policy.unratedAs;
  const report: Draw['strata'] = [];
  const chosen = new Map<string, Array<{ dept: DepartmentPolicy; reason: 'key_supervision' | 'sampled'; stratum: string }>>();
  const choose = (site: string, dept: DepartmentPolicy, reason: 'key_supervision' | 'sampled', stratum: string) => {
    const list = chosen.get(site) ?? [];
    list.push({ dept, reason, stratum });
    chosen.set(site, list);
  };

  for (const name of [...new Set(params.departments)].sort()) {
    const dept = policy.departments.find((d) => d.department === name);
    if (!dept) throw new DrawError(`the inspection policy has no entry for department "${name}"`);
    const candidates = pool.sites.filter((s) => s.departments.includes(name) && dept.sectors.includes(s.sector) && inScope(s, params));
    for (const s of candidates) if (s.keySupervision) choose(s.site, dept, 'key_supervision', `${grade(s)}/${s.riskLevel}`);
    for (const { grade: g, level, key } of strata()) {
      const rate = dept.strata[g][level];
      const members = candidates.filter((s) => !s.keySupervision && grade(s) === g && s.riskLevel === level);
      if (members.length === 0) continue;
      const cap = stratumCap(rate);
      const eligible = members.filter((s) => {
        if (s.lastInspectedOn !== null && start - dayNumber(s.lastInspectedOn) < dept.minIntervalDays) return false;
        return cap === null || s.inspectionsLastYear < cap;
      });
      const share = stratumShare(rate, days);
      const exact = eligible.length * share;
      let k = Math.floor(exact);
      if (exact > k && createStream(seed, `count:${name}:${key}`).unit() < exact - k) k++;
      const picked = pick(eligible, k, createStream(seed, `sites:${name}:${key}`));
      for (const s of picked) choose(s.site, dept, 'sampled', key);
      report.push({ department: name, stratum: key, candidates: members.length, ineligible: members.length - eligible.length, share, drawn: picked.length });
    }
  }

  const visits: Visit[] = [];
  for (const site of pool.sites) {
    const picks = chosen.get(site.site);
    if (!picks) continue;
    const onVisit = new Set<string>();
    const departments = picks.map(({ dept, reason, stratum }) => {
      const eligible = pool.inspectors.filter((i) => i.departments.includes(dept.department) && !site.excluded.includes(i.id) && !onVisit.has(i.id)).map((i) => i.id);
      if (eligible.length < dept.inspectorsPerVisit) {
        throw new DrawError(`department "${dept.department}" has ${eligible.length} eligible inspector(s) for site ${site.site}; each visit needs ${dept.inspectorsPerVisit} (avoidance rules left the others out)`);
      }
      const inspectors = pick(eligible, dept.inspectorsPerVisit, createStream(seed, `inspectors:${dept.department}:${site.site}`)).sort();
      for (const i of inspectors) onVisit.add(i);
      const items = pool.items[dept.department]?.[site.sector] ?? [];
      return { department: dept.department, reason, stratum, items, inspectors };
    });
    visits.push({
      site: site.site,
      creditGrade: grade(site),
      riskLevel: site.riskLevel,
      departments,
      items: [...new Set(departments.flatMap((d) => d.items))].sort(),
      inspectors: [...onVisit].sort(),
    });
  }
  return { visits, strata: report };
}
