import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../../gateway/src/domain/index.js';
import { createEventStore, LifecycleError, type AppliedTransition, type EventStore } from '../../../gateway/src/events/index.js';
import type { RuleTransition } from '../../../gateway/src/rules/index.js';
import { openStateDb, type StateDb } from '../../../gateway/src/storage/index.js';

const T0 = 1_700_000_000_000;
let dir: string;
let db: StateDb;
let store: EventStore;
let recorded: AppliedTransition[];
let inMaintenance: boolean;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-store-unit-'));
  db = openStateDb(dir);
  recorded = [];
  inMaintenance = false;
  store = createEventStore(db, { inMaintenance: () => inMaintenance, afterRecord: (a) => recorded.push(a) });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function rt(type: RuleTransition['type'], over: Partial<RuleTransition> = {}): RuleTransition {
  return {
    type,
    key: 'r.gas|site-a|dev-1',
    rule: 'r.gas',
    ruleVersion: 'v1',
    item: 'HC-01',
    title: 'Gas high',
    site: 'site-a',
    device: 'dev-1',
    sector: 'hazardous_chemicals',
    metric: 'gas_lel',
    severity: 'warning',
    value: 30,
    threshold: 25,
    at: T0,
    message: 'gas_lel 30 >= 25',
    ...over,
  };
}

function raised(over: Partial<RuleTransition> = {}): string {
  return store.applyRuleTransition(rt('raised', over))!.event.id;
}

function conflictOf(fn: () => unknown): LifecycleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LifecycleError) return err;
    throw err;
  }
  throw new Error('no LifecycleError');
}

describe('raising, escalating and clearing', () => {
  it('opens an event with a raised transition by the rule', () => {
    const a = store.applyRuleTransition(rt('raised'))!;
    expect(a.event).toMatchObject({ state: 'open', severity: 'warning', value: 30, suppressed: false });
    expect(a.transition).toMatchObject({ type: 'raised', actor: 'r.gas', note: 'gas_lel 30 >= 25', severity: 'warning', value: 30 });
  });

  it('keeps one unresolved event per key: a second raise of a lower or equal level records nothing', () => {
    raised();
    expect(store.applyRuleTransition(rt('raised', { at: T0 + 1 }))).toBeNull();
    expect(store.list({ limit: 10 })).toHaveLength(1);
  });

  it('turns a repeated raise of a higher level into an escalation of the open event', () => {
    const id = raised();
    const a = store.applyRuleTransition(rt('raised', { severity: 'critical', value: 60, at: T0 + 1 }))!;
    expect(a.event.id).toBe(id);
    expect(a.transition.type).toBe('escalated');
  });

  it('never lowers the severity on an escalation to a lower level', () => {
    raised({ severity: 'critical' });
    expect(store.applyRuleTransition(rt('escalated', { severity: 'warning' }))).toBeNull();
  });

  it('resolves as system on the rule clear, from open or acknowledged', () => {
    const id = raised();
    store.acknowledge(id, 'ann', null, T0 + 1);
    const a = store.applyRuleTransition(rt('resolved', { value: 5, at: T0 + 2 }))!;
    expect(a.event.state).toBe('resolved');
    expect(a.transition).toMatchObject({ actor: 'system', value: 5 });
  });

  it('ignores a rule clear when a person resolved the event already', () => {
    const id = raised();
    store.resolve(id, 'sup', 'done', T0 + 1);
    expect(store.applyRuleTransition(rt('resolved', { at: T0 + 2 }))).toBeNull();
  });

  it('records an event raised inside a maintenance window as suppressed', () => {
    inMaintenance = true;
    expect(store.applyRuleTransition(rt('raised'))!.event.suppressed).toBe(true);
  });
});

describe('the lifecycle state machine', () => {
  it('allows open -> acknowledged -> resolved -> closed', () => {
    const id = raised();
    expect(store.acknowledge(id, 'ann', null, T0 + 1)!.event.state).toBe('acknowledged');
    expect(store.resolve(id, 'sup', 'fixed', T0 + 2).event.state).toBe('resolved');
    const closed = store.close(id, 'sup', 'rectified', 'done', T0 + 3);
    expect(closed.event).toMatchObject({ state: 'closed', disposition: 'rectified', acknowledgedAt: T0 + 1, resolvedAt: T0 + 2, closedAt: T0 + 3 });
    expect(closed.transition.disposition).toBe('rectified');
  });

  it('allows open -> resolved without an acknowledgement', () => {
    const id = raised();
    expect(store.resolve(id, 'sup', 'fixed', T0 + 1).event).toMatchObject({ state: 'resolved', acknowledgedAt: null });
  });

  it('records nothing when an acknowledged event is acknowledged again', () => {
    const id = raised();
    store.acknowledge(id, 'ann', null, T0 + 1);
    const before = recorded.length;
    expect(store.acknowledge(id, 'bob', 'me too', T0 + 2)).toBeNull();
    expect(recorded).toHaveLength(before);
    expect(store.get(id)!.transitions.map((t) => t.type)).toEqual(['raised', 'acknowledged']);
  });

  const refused: Array<[string, (id: string) => void, string]> = [
    ['closing an open event', (id) => store.close(id, 's', 'other', 'n', T0 + 9), 'open'],
    ['closing an acknowledged event', (id) => (store.acknowledge(id, 'a', null, T0 + 1), store.close(id, 's', 'other', 'n', T0 + 9)), 'acknowledged'],
    ['acknowledging a resolved event', (id) => (store.resolve(id, 's', 'n', T0 + 1), store.acknowledge(id, 'a', null, T0 + 9)), 'resolved'],
    ['resolving a resolved event', (id) => (store.resolve(id, 's', 'n', T0 + 1), store.resolve(id, 's', 'n', T0 + 9)), 'resolved'],
    ['acknowledging a closed event', (id) => (store.resolve(id, 's', 'n', T0 + 1), store.close(id, 's', 'other', 'n', T0 + 2), store.acknowledge(id, 'a', null, T0 + 9)), 'closed'],
    ['resolving a closed event', (id) => (store.resolve(id, 's', 'n', T0 + 1), store.close(id, 's', 'other', 'n', T0 + 2), store.resolve(id, 's', 'n', T0 + 9)), 'closed'],
    ['closing a closed event', (id) => (store.resolve(id, 's', 'n', T0 + 1), store.close(id, 's', 'other', 'n', T0 + 2), store.close(id, 's', 'duplicate', 'n', T0 + 9)), 'closed'],
  ];
  for (const [what, run, state] of refused) {
    it(`refuses ${what} with a conflict naming the state ${state}, and records nothing`, () => {
      const id = raised();
      const err = conflictOf(() => run(id));
      expect(err).toMatchObject({ kind: 'conflict', state });
      expect(store.get(id)!.state).toBe(state);
      expect(store.get(id)!.transitions.every((t) => t.at !== T0 + 9)).toBe(true);
    });
  }

  it('answers not_found for an unknown event on every action', () => {
    const id = 'ev-000000000-0000000000';
    for (const run of [() => store.acknowledge(id, 'a', null, T0), () => store.comment(id, 'a', 'n', T0), () => store.resolve(id, 'a', 'n', T0), () => store.close(id, 'a', 'other', 'n', T0)]) {
      expect(conflictOf(run).kind).toBe('not_found');
    }
  });

  it('accepts a comment in any state without changing it', () => {
    const id = raised();
    store.resolve(id, 's', 'n', T0 + 1);
    expect(store.comment(id, 'a', 'late remark', T0 + 2).event.state).toBe('resolved');
  });

  it('hands every recorded transition to afterRecord, in order', () => {
    const id = raised();
    store.acknowledge(id, 'a', null, T0 + 1);
    store.resolve(id, 's', 'n', T0 + 2);
    expect(recorded.map((a) => a.transition.type)).toEqual(['raised', 'acknowledged', 'resolved']);
  });

  it('rolls the transition back when afterRecord throws', () => {
    const failing = createEventStore(db, {
      afterRecord: (a) => {
        if (a.transition.type === 'acknowledged') throw new Error('queue full');
      },
    });
    const id = failing.applyRuleTransition(rt('raised', { key: 'other|site-a|dev-2', device: 'dev-2' }))!.event.id;
    expect(() => failing.acknowledge(id, 'a', null, T0 + 1)).toThrow('queue full');
    expect(failing.get(id)!.state).toBe('open');
    expect(failing.get(id)!.transitions).toHaveLength(1);
    expect(failing.audit.verify().ok).toBe(true);
  });
});

describe('overdue', () => {
  const limits: Partial<Record<Severity, number>> = { warning: 2000, critical: 0 };

  it('marks an open event overdue once its limit has passed, and again every limit', () => {
    const id = raised();
    expect(store.markOverdue(limits, T0 + 1999)).toEqual([]);
    expect(store.markOverdue(limits, T0 + 2000).map((a) => a.event.id)).toEqual([id]);
    expect(store.markOverdue(limits, T0 + 3999)).toEqual([]);
    const again = store.markOverdue(limits, T0 + 4000);
    expect(again[0]!.transition).toMatchObject({ type: 'overdue', actor: 'system', note: 'not acknowledged within 2 s' });
    expect(store.get(id)!.overdue).toBe(true);
  });

  it('stops once the event is acknowledged, and no longer shows it overdue', () => {
    const id = raised();
    store.markOverdue(limits, T0 + 2000);
    store.acknowledge(id, 'a', null, T0 + 2500);
    expect(store.markOverdue(limits, T0 + 10_000)).toEqual([]);
    expect(store.get(id)!.overdue).toBe(false);
  });

  it('never marks a severity whose limit is off, nor a suppressed event', () => {
    raised({ severity: 'critical' });
    inMaintenance = true;
    raised({ key: 'r.gas|site-a|dev-9', device: 'dev-9' });
    expect(store.markOverdue(limits, T0 + 60_000)).toEqual([]);
  });

  it('spells limits of minutes and hours in the note', () => {
    raised();
    raised({ key: 'k2', severity: 'major' });
    const a = store.markOverdue({ warning: 5 * 60_000, major: 90 * 60_000 }, T0 + 2 * 3_600_000);
    expect(a.map((x) => x.transition.note).sort()).toEqual(['not acknowledged within 1 h 30 min', 'not acknowledged within 5 min']);
  });
});

describe('catching up a subscriber', () => {
  it('gives each missed transition with the event as it stood right after it', () => {
    const id = raised({ severity: 'warning', value: 30, threshold: 25, message: 'warn' });
    store.applyRuleTransition(rt('escalated', { severity: 'critical', value: 60, threshold: 50, message: 'crit', at: T0 + 1 }));
    store.acknowledge(id, 'a', null, T0 + 2);
    store.resolve(id, 's', 'n', T0 + 3);
    store.close(id, 's', 'false_alarm', 'n', T0 + 4);
    const got = store.transitionsAfter(0, 0, 100);
    expect(got.map((a) => [a.transition.type, a.event.state, a.event.severity, a.event.value, a.event.threshold, a.event.message, a.event.disposition])).toEqual([
      ['raised', 'open', 'warning', 30, 25, 'warn', null],
      ['escalated', 'open', 'critical', 60, 50, 'crit', null],
      ['acknowledged', 'acknowledged', 'critical', 60, 50, 'crit', null],
      ['resolved', 'resolved', 'critical', 60, 50, 'crit', null],
      ['closed', 'closed', 'critical', 60, 50, 'crit', 'false_alarm'],
    ]);
    // The same as what was handed out live at each step.
    expect(got.map((a) => a.event)).toEqual(recorded.map((a) => a.event));
  });

  it('leaves out suppressed events and starts after the given seq', () => {
    const id = raised();
    inMaintenance = true;
    raised({ key: 'k-hidden', device: 'dev-h' });
    store.acknowledge(id, 'a', null, T0 + 1);
    const after = store.transitionsAfter(1, 0, 100);
    expect(after.map((a) => [a.event.id, a.transition.type])).toEqual([[id, 'acknowledged']]);
  });
});
