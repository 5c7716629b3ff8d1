import type { Benchmark } from './schema.js';

// Targets from the alarm-management standards, per operator position. Where each was
// checked (issue 19 note): EEMUA 191's "1 alarm per 10 minutes very likely acceptable"
// (Bransby & Jenkinson's survey), ISA-18.2-2009's ~150 a day (IEC 62682: ~144; ISA-18.2-2016
// dropped that KPI) and the flood definition of 10 in 10 minutes were found in public
// summaries; the others are the widely cited ISA-18.2 table values as DOMAIN.md section 9
// gives them, not found in a public summary here, so they are marked `checked: false`.

interface Target {
  figure: string;
  target: number;
  label: string;
  source: string;
  checked: boolean;
}

export const TARGETS: readonly Target[] = [
  { figure: 'perDay', target: 150, label: '≈150 alarms a day per operator position: very likely acceptable (300: maximum manageable)', source: 'ISA-18.2-2009; EEMUA 191', checked: true },
  { figure: 'per10Min', target: 1, label: '≈1 alarm per 10 minutes per operator position: very likely acceptable (2: maximum manageable)', source: 'EEMUA 191; ISA-18.2', checked: true },
  { figure: 'peak10Min', target: 10, label: 'at most 10 alarms in any 10 minutes (more is a flood)', source: 'ISA-18.2; EEMUA 191', checked: true },
  { figure: 'floodShare', target: 0.01, label: 'under ≈1 % of 10-minute periods in flood', source: 'ISA-18.2', checked: false },
  { figure: 'topTenShare', target: 0.05, label: 'the 10 most frequent alarms carry ≈1-5 % of the load', source: 'ISA-18.2', checked: false },
  { figure: 'chatteringKeys', target: 0, label: 'no chattering alarms', source: 'ISA-18.2; EEMUA 191', checked: false },
  { figure: 'standing', target: 0, label: 'standing (stale, active > 24 h) alarms near zero', source: 'ISA-18.2', checked: false },
];

/** The targets with the report's own values beside them. */
export function benchmarksFor(values: Record<string, number | null>): Benchmark[] {
  return TARGETS.map((t) => {
    const value = values[t.figure] ?? null;
    return { ...t, kind: 'max' as const, value, met: value === null ? null : value <= t.target };
  });
}
