import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore } from '../../../gateway/src/events/index.js';
import { transitionMessage } from '../../../gateway/src/fanout/index.js';
import type { RuleTransition } from '../../../gateway/src/rules/index.js';
import { openStateDb, type StateDb } from '../../../gateway/src/storage/index.js';

// Events raised from buffered readings: raisedAt is the readings' time, detectedAt the gateway's.
const NOW = 1_764_000_000_000;
const TWO_HOURS = 2 * 3_600_000;
let dir: string;
let db: StateDb;
let now: number;
let store: EventStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-late-unit-'));
  db = openStateDb(dir);
  now = NOW;
  store = createEventStore(db, { clock: () => now, maxClockSkewMs: 5 * 60_000 });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function rt(type: RuleTransition['type'], over: Partial<RuleTransition> = {}): RuleTransition {
  return {
    type,
    key: 'pol.cod|site-a|dtu-1',
    rule: 'pol.cod',
    ruleVersion: 'v1',
    item: 'PS-01',
    title: 'COD over limit',
    site: 'site-a',
    device: 'dtu-1',
    sector: 'pollution_source',
    metric: 'cod',
    severity: 'major',
    value: 120,
    threshold: 100,
    at: NOW - TWO_HOURS,
    message: 'cod 120 > 100',
    ...over,
  };
}

describe('events raised from late data', () => {
  it('carries raisedAt from the readings, detectedAt from the gateway clock, and late: true', () => {
    const a = store.applyRuleTransition(rt('raised'))!;
    expect(a.event).toMatchObject({ raisedAt: NOW - TWO_HOURS, detectedAt: NOW, late: true });
    expect(store.get(a.event.id)).toMatchObject({ raisedAt: NOW - TWO_HOURS, detectedAt: NOW, late: true });
  });

  it('is not late when the readings are inside the clock skew', () => {
    const a = store.applyRuleTransition(rt('raised', { at: NOW - 60_000 }))!;
    expect(a.event).toMatchObject({ raisedAt: NOW - 60_000, detectedAt: NOW, late: false });
  });

  it('is not overdue at once: the limit counts from detectedAt', () => {
    const id = store.applyRuleTransition(rt('raised'))!.event.id;
    expect(store.markOverdue({ major: 15 * 60_000 }, NOW)).toEqual([]);
    expect(store.markOverdue({ major: 15 * 60_000 }, NOW + 15 * 60_000 - 1)).toEqual([]);
    expect(store.markOverdue({ major: 15 * 60_000 }, NOW + 15 * 60_000).map((x) => x.event.id)).toEqual([id]);
  });

  it('records the detection time in the audit trail beside the event time', () => {
    const a = store.applyRuleTransition(rt('raised'))!;
    const [row] = store.audit.ofEvent(a.event.id);
    expect(row).toMatchObject({ type: 'raised', at: NOW - TWO_HOURS, detail: { threshold: 100, detectedAt: NOW, late: true } });
    expect(a.transition).toMatchObject({ at: NOW - TWO_HOURS, detectedAt: NOW });
    expect(store.audit.verify().ok).toBe(true);
  });

  it('gives a person’s action detectedAt equal to its time', () => {
    const id = store.applyRuleTransition(rt('raised'))!.event.id;
    now = NOW + 1000;
    const ack = store.acknowledge(id, 'li.wei', null, now)!;
    expect(ack.transition).toMatchObject({ at: NOW + 1000, detectedAt: NOW + 1000 });
  });

  it('sends both times and the late mark in the subscriber message', () => {
    const msg = transitionMessage(store.applyRuleTransition(rt('raised'))!);
    expect(msg).toMatchObject({
      at: new Date(NOW - TWO_HOURS).toISOString(),
      detectedAt: new Date(NOW).toISOString(),
      event: { raisedAt: new Date(NOW - TWO_HOURS).toISOString(), detectedAt: new Date(NOW).toISOString(), late: true },
    });
  });

  it('catches a reconnecting subscriber up on a late raise recorded within the catch-up window', () => {
    store.applyRuleTransition(rt('raised'));
    const missed = store.transitionsAfter(0, NOW - 3_600_000, 100);
    expect(missed.map((a) => [a.transition.type, a.event.late])).toEqual([['raised', true]]);
  });

  it('leaves transitions recorded before the catch-up window out', () => {
    store.applyRuleTransition(rt('raised', { at: NOW - TWO_HOURS }));
    expect(store.transitionsAfter(0, NOW + 1, 100)).toEqual([]);
  });
});
