import { describe, expect, it } from 'vitest';
import { chattering, computeQuality, percentile, type QualityEvent, type QualityOptions } from '../../../gateway/src/quality/index.js';

// A hand-computed day of events (local midnight to midnight, UTC+8): a flood, a chattering
// alarm, a near miss that does not chatter, standing alarms, a suppressed raise and
// dispositions. Every expected figure below was worked out by hand from this list.
const T0 = Date.UTC(2026, 9, 31, 16, 0, 0); // 2026-11-01 00:00 +08:00
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

let n = 0;
function ev(rule: string, site: string, device: string, raisedAt: number, more: Partial<QualityEvent> = {}): QualityEvent {
  return {
    id: `ev-${n++}`,
    key: `${rule}|${site}|${device}`,
    rule,
    item: rule === 'flood' ? 'HC-01' : 'MN-01',
    site,
    device,
    severity: 'warning',
    raisedAt,
    acknowledgedAt: null,
    resolvedAt: raisedAt + 10 * S,
    closedAt: null,
    disposition: null,
    suppressed: false,
    ...more,
  };
}

const events: QualityEvent[] = [
  // Flood: 12 raises in the 10-minute window starting at 00:30, one per device, 30 s apart;
  // acknowledged after 1..12 minutes, closed an hour after the raise, 9 false alarms then 3 confirmed.
  ...Array.from({ length: 12 }, (_, i) =>
    ev('flood', 's1', `f${i}`, T0 + 30 * MIN + i * 30 * S, {
      acknowledgedAt: T0 + 30 * MIN + i * 30 * S + (i + 1) * MIN,
      closedAt: T0 + 30 * MIN + i * 30 * S + H,
      disposition: i < 9 ? 'false_alarm' : 'confirmed_violation',
    }),
  ),
  // Chattering: 3 raises of one key within 40 s (02:00:00, 02:00:20, 02:00:40), closed as false
  // alarms after 10 minutes, then one more raise at 05:00 that is not part of the burst.
  ...[0, 20 * S, 40 * S].map((d) => ev('chatter', 's1', 'c1', T0 + 2 * H + d, { closedAt: T0 + 2 * H + d + 10 * MIN, disposition: 'false_alarm' })),
  ev('chatter', 's1', 'c1', T0 + 5 * H),
  // Near miss: 3 raises spread over 90 s: never 3 within a minute.
  ...[0, 40 * S, 90 * S].map((d) => ev('near', 's2', 'n1', T0 + 3 * H + d)),
  // Standing: raised two days before and never resolved; raised 12 h before, resolved at 13:00 (25 h);
  // raised 30 h before and resolved before the period began (not in it); raised at 00:10, still
  // unresolved at the end (23 h 50 min: not yet standing).
  ev('standing', 's2', 'x1', T0 - 48 * H, { resolvedAt: null }),
  ev('standing', 's2', 'x3', T0 - 12 * H, { resolvedAt: T0 + 13 * H }),
  ev('standing', 's2', 'x4', T0 - 30 * H, { resolvedAt: T0 - H }),
  ev('standing', 's2', 'x2', T0 + 10 * MIN, { resolvedAt: null }),
  // Suppressed by a maintenance window.
  ev('maint', 's1', 'm1', T0 + 6 * H, { suppressed: true }),
];

const opts: QualityOptions = {
  from: T0,
  to: T0 + 24 * H,
  groupBy: ['rule'],
  chatterCount: 3,
  chatterWindowMs: MIN,
  standingAfterMs: 24 * H,
  floodAbove: 10,
  utcOffsetMinutes: 480,
  departmentOf: (item) => (item === 'HC-01' ? 'Emergency Management Bureau' : null),
};

describe('alarm-quality figures', () => {
  const report = computeQuality(events, opts);
  const s = report.summary;
  const group = (label: string) => report.groups.find((g) => g.label === label)!;

  it('counts the annunciated raises of the period, leaving out suppressed and earlier ones', () => {
    expect(s.raised).toBe(20);
    expect(s.suppressed).toBe(1);
    expect(s.perDay).toBe(20);
    expect(s.per10Min).toBeCloseTo(20 / 144, 12);
  });

  it('finds the one flood window and its share of the period', () => {
    expect(s.peak10Min).toBe(12);
    expect(s.floodWindows).toBe(1);
    expect(s.floodShare).toBeCloseTo(1 / 144, 12);
    expect(group('flood').floodWindows).toBe(1);
    expect(group('chatter').floodWindows).toBe(0);
  });

  it('names the chattering key and not the near miss', () => {
    expect(s.chatteringKeys).toBe(1);
    expect(s.chatteringRaises).toBe(3);
    expect(group('chatter').chattering).toEqual(['chatter|s1|c1']);
    expect(group('near').chatteringKeys).toBe(0);
  });

  it('counts alarms unresolved for more than 24 h at some time in the period as standing', () => {
    expect(s.standing).toBe(2);
    expect(group('standing').standing).toBe(2);
    expect(group('standing').raised).toBe(1);
  });

  it('takes the false-alarm share from the dispositions of closed events', () => {
    expect(s.closed).toBe(15);
    expect(s.falseAlarms).toBe(12);
    expect(s.confirmed).toBe(3);
    expect(s.falseAlarmShare).toBeCloseTo(0.8, 12);
    expect(group('flood').falseAlarmShare).toBeCloseTo(0.75, 12);
    expect(group('near').falseAlarmShare).toBeNull();
  });

  it('gives median and 90th percentile times to acknowledge and to close (nearest rank)', () => {
    expect(s.toAcknowledge).toEqual({ count: 12, medianMs: 6 * MIN, p90Ms: 11 * MIN });
    expect(s.toClose).toEqual({ count: 15, medianMs: H, p90Ms: H });
  });

  it('puts the worst offenders first and gives each its share of the load', () => {
    expect(report.groups.map((g) => g.label)).toEqual(['flood', 'chatter', 'near', 'standing', 'maint']);
    expect(group('flood').share).toBeCloseTo(0.6, 12);
    expect(group('maint').suppressed).toBe(1);
  });

  it('gives the share of the ten most frequent rules', () => {
    expect(s.topTen).toEqual([
      { rule: 'flood', raised: 12 },
      { rule: 'chatter', raised: 4 },
      { rule: 'near', raised: 3 },
      { rule: 'standing', raised: 1 },
    ]);
    expect(s.topTenShare).toBe(1);
  });

  it('sets each benchmark beside the figure and says whether it is met', () => {
    const b = Object.fromEntries(report.benchmarks.map((x) => [x.figure, x]));
    expect(b.perDay).toMatchObject({ target: 150, value: 20, met: true });
    expect(b.peak10Min).toMatchObject({ target: 10, value: 12, met: false });
    expect(b.floodShare).toMatchObject({ target: 0.01, met: true });
    expect(b.chatteringKeys).toMatchObject({ target: 0, value: 1, met: false });
    expect(b.standing).toMatchObject({ value: 2, met: false });
  });

  it('groups by department and site together', () => {
    const r = computeQuality(events, { ...opts, groupBy: ['department', 'site'] });
    expect(r.groups.map((g) => [g.label, g.raised])).toEqual([
      ['Emergency Management Bureau / s1', 12],
      ['(none) / s1', 4],
      ['(none) / s2', 4],
    ]);
  });

  it('groups by local day, earlier standing alarms on the first day of the period', () => {
    const r = computeQuality(events, { ...opts, groupBy: ['day'] });
    expect(r.groups.map((g) => [g.label, g.raised, g.standing])).toEqual([['2026-11-01', 20, 2]]);
  });

  it('lets the chattering rule be configured', () => {
    expect(computeQuality(events, { ...opts, chatterWindowMs: 90 * S }).summary.chatteringKeys).toBe(2);
    expect(computeQuality(events, { ...opts, chatterCount: 4 }).summary.chatteringKeys).toBe(0);
  });

  it('cuts the group list at the limit and says how many were left', () => {
    const r = computeQuality(events, opts, 2);
    expect(r.groups.map((g) => g.label)).toEqual(['flood', 'chatter']);
    expect(r.more).toBe(3);
  });

  it('refuses an empty period', () => {
    expect(() => computeQuality(events, { ...opts, to: opts.from })).toThrow(/after/);
  });
});

describe('helpers', () => {
  it('computes nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.9)).toBe(4);
    expect(percentile([], 0.5)).toBeNull();
  });

  it('counts each raise of overlapping bursts once', () => {
    const e = [0, 10, 20, 30].map((t) => ev('c', 's', 'd', t * S));
    expect(chattering(e, 3, 30 * S)).toEqual({ keys: ['c|s|d'], raises: 4 });
  });
});
