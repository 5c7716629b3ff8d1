// The wall's list on a real SQLite state database: priority order, keyset pages that neither
// repeat nor skip, filters and counts over every event rather than a loaded page.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../../gateway/src/domain/index.js';
import { createEventStore, type EventPageQuery, type EventStore, type SupervisionEvent } from '../../../gateway/src/events/index.js';
import type { RuleTransition } from '../../../gateway/src/rules/index.js';
import { openStateDb, type StateDb } from '../../../gateway/src/storage/index.js';

const T0 = 1_700_000_000_000;
const SEVERITIES: Severity[] = ['info', 'warning', 'major', 'critical'];
let dir: string;
let db: StateDb;
let store: EventStore;
let clock = T0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-query-unit-'));
  db = openStateDb(dir);
  clock = T0;
  store = createEventStore(db, { clock: () => clock });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function raise(i: number, severity: Severity, site = `site-${i % 7}`, at = T0 + i * 1000): string {
  const t: RuleTransition = {
    type: 'raised',
    key: `r|${site}|dev-${i}`,
    rule: 'r.gas',
    ruleVersion: 'v1',
    item: 'HC-01',
    title: 'Gas high',
    site,
    device: `dev-${i}`,
    sector: 'hazardous_chemicals',
    metric: 'gas_lel',
    severity,
    value: 30,
    threshold: 25,
    at,
    message: 'gas',
  };
  return store.applyRuleTransition(t)!.event.id;
}

function all(q: Omit<EventPageQuery, 'limit' | 'after'>, limit: number): SupervisionEvent[] {
  const out: SupervisionEvent[] = [];
  let after: (string | number)[] | null | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const p = store.page({ ...q, limit, ...(after ? { after } : {}) });
    out.push(...p.events);
    after = p.after;
    if (!after) return out;
  }
  throw new Error('paging did not end');
}

const RANK: Record<Severity, number> = { critical: 0, major: 1, warning: 2, info: 3 };

describe('the event list on the server', () => {
  it('puts unacknowledged critical events first, then severity, unacknowledged before acknowledged, oldest first', () => {
    const oldInfo = raise(1, 'info');
    const ackCritical = raise(2, 'critical');
    const major = raise(3, 'major');
    const newCritical = raise(5, 'critical');
    const oldCritical = raise(4, 'critical');
    store.acknowledge(ackCritical, 'op', null, T0 + 10_000);
    const ids = store.page({ order: 'priority', limit: 10 }).events.map((e) => e.id);
    expect(ids).toEqual([oldCritical, newCritical, ackCritical, major, oldInfo]);
  });

  it('lists newest first when asked', () => {
    const a = raise(1, 'critical');
    const b = raise(2, 'info');
    expect(store.page({ order: 'newest', limit: 10 }).events.map((e) => e.id)).toEqual([b, a]);
  });

  it('pages through 1,000 events in either order without repeating or skipping one', () => {
    for (let i = 0; i < 1000; i++) raise(i, SEVERITIES[i % 4]!, `site-${i % 7}`, T0 + Math.floor(i / 3) * 1000);
    for (const order of ['priority', 'newest'] as const) {
      const paged = all({ order }, 37);
      const one = store.page({ order, limit: 1000 }).events;
      expect(paged.map((e) => e.id)).toEqual(one.map((e) => e.id));
      expect(new Set(paged.map((e) => e.id)).size).toBe(1000);
    }
    const priority = all({ order: 'priority' }, 100);
    for (let i = 1; i < priority.length; i++) expect(RANK[priority[i - 1]!.severity]).toBeLessThanOrEqual(RANK[priority[i]!.severity]);
  });

  it('finds an old overdue critical among 1,000 newer events by its filters', () => {
    clock = T0;
    const old = raise(0, 'critical', 'far-site', T0 - 86_400_000);
    store.markOverdue({ critical: 60_000 }, T0 + 120_000);
    for (let i = 1; i <= 1000; i++) raise(i, 'warning');
    expect(store.page({ order: 'priority', limit: 1 }).events[0]!.id).toBe(old);
    expect(store.page({ order: 'newest', limit: 50, site: 'far-site' }).events.map((e) => e.id)).toEqual([old]);
    expect(store.page({ order: 'newest', limit: 50, overdue: true }).events.map((e) => e.id)).toEqual([old]);
    expect(store.page({ order: 'newest', limit: 50, severity: 'critical', state: 'active' }).events.map((e) => e.id)).toEqual([old]);
  });

  it('counts every matching event by state and severity, with unacknowledged and overdue', () => {
    for (let i = 0; i < 600; i++) raise(i, SEVERITIES[i % 4]!);
    const some = store.page({ order: 'newest', limit: 10, severity: 'major' }).events;
    for (const e of some) store.acknowledge(e.id, 'op', null, T0 + 700_000);
    clock = T0 + 800_000;
    store.markOverdue({ critical: 1000 }, T0 + 900_000);
    const s = store.summary({});
    expect(s.total).toBe(600);
    expect(s.byState).toEqual({ open: 590, acknowledged: 10, resolved: 0, closed: 0 });
    expect(s.bySeverity).toEqual({ info: 150, warning: 150, major: 150, critical: 150 });
    expect(s.unacknowledged).toEqual({ info: 150, warning: 150, major: 140, critical: 150 });
    expect(s.overdue).toEqual({ info: 0, warning: 0, major: 0, critical: 150 });
    expect(Object.values(s.bySite['site-0']!).reduce((a, b) => a + b, 0)).toBe(Math.ceil(600 / 7));
    expect(store.summary({ state: 'acknowledged' }).total).toBe(10);
    expect(store.summary({ sites: ['site-1', 'site-2'] }).total).toBe(172);
    expect(store.summary({ sites: [] }).total).toBe(0);
  });

  it('answers each query by its own filter values when the same filters come again with other values', () => {
    for (let i = 0; i < 70; i++) raise(i, SEVERITIES[i % 4]!);
    for (let site = 0; site < 7; site++) {
      const ids = store.page({ order: 'newest', limit: 100, site: `site-${site}` }).events.map((e) => e.site);
      expect(new Set(ids)).toEqual(new Set([`site-${site}`]));
      expect(ids).toHaveLength(10);
    }
  });

  it('still answers right after more filter shapes than it keeps statements for', () => {
    for (let i = 0; i < 70; i++) raise(i, 'info', `site-${i}`);
    // A scope of n sites is a query of its own shape (n bound names): 70 shapes, twice over.
    for (let round = 0; round < 2; round++) {
      for (let n = 1; n <= 70; n++) {
        const sites = Array.from({ length: n }, (_, i) => `site-${i}`);
        expect(store.summary({ sites }).total).toBe(n);
      }
    }
  });

  it('refuses a cursor of the other order', () => {
    raise(1, 'info');
    raise(2, 'info');
    const p = store.page({ order: 'newest', limit: 1 });
    expect(() => store.page({ order: 'priority', limit: 1, after: p.after! })).toThrow(RangeError);
  });
});
