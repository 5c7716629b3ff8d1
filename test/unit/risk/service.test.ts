import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore } from '../../../gateway/src/events/index.js';
import { createLogger } from '../../../gateway/src/observability/index.js';
import { createRiskService, type RiskService, type RiskSite } from '../../../gateway/src/risk/index.js';
import type { RuleTransition } from '../../../gateway/src/rules/index.js';
import { openStateDb } from '../../../gateway/src/storage/index.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const site: RiskSite = { id: 'chem-d', sector: 'hazardous_chemicals', creditGrade: 'D', devices: 1 };
// History off, as on a gateway without InfluxDB: the service must work the same without it.
const noHistory = { enabled: false, writeLines: async () => {}, query: async () => [] };

let now = T0;
let events: EventStore;
let risk: RiskService;
let inspections: Array<{ endedAt: number; conclusion: 'compliant' | 'non_compliant' | 'rectification_ordered'; overdueRectifications: number }>;

function violation(n: number, at: number) {
  const t: RuleTransition = { type: 'raised', key: `hc.gas|chem-d|gas-${n}`, rule: 'hc.gas', ruleVersion: 'v1', item: 'HC-01', title: 'gas', site: 'chem-d', device: `gas-${n}`, sector: 'hazardous_chemicals', severity: 'critical', value: 60, threshold: 50, at, message: 'gas over the second level' };
  const id = events.applyRuleTransition(t)!.event.id;
  events.resolve(id, 'sup', 'fixed', at + 1000);
  events.close(id, 'sup', 'confirmed_violation', 'confirmed on site', at + 2000);
}
const riskEvents = () => events.list({ site: 'chem-d', limit: 100 }).filter((e) => e.item === 'RISK-01');

beforeEach(() => {
  now = T0;
  inspections = [];
  const db = openStateDb(mkdtempSync(join(tmpdir(), 'risk-')));
  events = createEventStore(db, { clock: () => now });
  risk = createRiskService({
    modelPath: resolve('rules/risk.yaml'),
    clock: () => now,
    db,
    events,
    logger: createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })),
    sites: () => [site],
    offlineRules: () => new Set(),
    overdueLimits: {},
    inspections: () => inspections,
    history: noHistory,
    raise: (t) => events.applyRuleTransition(t),
  });
});

describe('risk early warning (virtual time)', () => {
  it('raises exactly one RISK-01 event when the level rises, and none while it stays', async () => {
    expect((await risk.evaluateSite(site, now)).level).toBe('blue');
    violation(1, now);
    now += 3_600_000;
    expect((await risk.evaluateSite(site, now)).level).toBe('orange');
    now += 3_600_000;
    await risk.evaluateSite(site, now);
    expect(riskEvents()).toHaveLength(1);
    expect(riskEvents()[0]).toMatchObject({ state: 'open', severity: 'major', rule: 'risk.level' });
  });

  it('escalates the same event on a further rise rather than raising a second', async () => {
    violation(1, now);
    await risk.evaluateSite(site, (now += 1000));
    inspections = [{ endedAt: now, conclusion: 'non_compliant', overdueRectifications: 1 }];
    const red = await risk.evaluateSite(site, (now += 1000));
    expect(red.level).toBe('red');
    expect(riskEvents()).toHaveLength(1);
    expect(riskEvents()[0]!.severity).toBe('critical');
  });

  it('resolves the event once the window has moved past the violation, and raises anew on the next rise', async () => {
    violation(1, now);
    await risk.evaluateSite(site, (now += 1000));
    now += 31 * DAY;
    expect((await risk.evaluateSite(site, now)).level).toBe('blue');
    expect(riskEvents()[0]!.state).toBe('resolved');
    violation(2, now);
    await risk.evaluateSite(site, (now += 1000));
    expect(riskEvents()).toHaveLength(2);
  });

  it('lowers the score after a clean inspection', async () => {
    violation(1, now);
    const before = await risk.evaluateSite(site, (now += 1000));
    inspections = [{ endedAt: now, conclusion: 'compliant', overdueRectifications: 0 }];
    const after = await risk.evaluateSite(site, (now += 1000));
    expect(after.score).toBe(before.score - 10);
  });

  it('does not count its own RISK events as evidence about the site', async () => {
    violation(1, now);
    const first = await risk.evaluateSite(site, (now += 1000));
    const second = await risk.evaluateSite(site, (now += 1000));
    expect(second.score).toBe(first.score);
  });
});

/** A service on its own database with no events, for the model-file tests. */
function standalone(dir: string, modelPath: string) {
  const db = openStateDb(dir);
  return createRiskService({
    modelPath,
    clock: () => now,
    db,
    events: createEventStore(db),
    logger: createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })),
    sites: () => [site],
    offlineRules: () => new Set(),
    overdueLimits: {},
    inspections: () => [],
    history: noHistory,
    raise: () => null,
  });
}

describe('risk model reload', () => {
  it('takes a valid new model with a new version and keeps the old one when the file is invalid', async () => {
    const { copyFileSync, readFileSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'risk-model-'));
    const path = join(dir, 'risk.yaml');
    copyFileSync(resolve('rules/risk.yaml'), path);
    const svc = standalone(dir, path);
    const v1 = svc.model().version;
    writeFileSync(path, readFileSync(path, 'utf8').replace('creditGrade: { A: 0, B: 5, C: 12, D: 20, unrated: 12 }', 'creditGrade: { A: 0, B: 5, C: 12, D: 30, unrated: 12 }'));
    expect(svc.reload()).toMatchObject({ ok: true });
    expect(svc.model().version).not.toBe(v1);
    expect((await svc.evaluateSite(site, now)).breakdown.find((l) => l.factor === 'credit_grade')?.points).toBe(30);
    writeFileSync(path, 'levels: { yellow: 90, orange: 50, red: 10 }\n');
    const refused = svc.reload();
    expect(refused.ok).toBe(false);
    expect(svc.model().creditGrade.D).toBe(30);
  });
});

describe('a rules directory without a risk model', () => {
  it('scores with the shipped model rather than failing to start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'risk-none-'));
    const svc = standalone(dir, join(dir, 'risk.yaml'));
    expect(svc.model().levels.red).toBe(75);
    expect((await svc.evaluateSite(site, now)).level).toBe('blue');
  });
});
