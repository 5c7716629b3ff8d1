import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleTransition } from '../../gateway/src/rules/index.js';
import { createUser } from '../helpers/events.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

// GET /api/alarm-quality over a real gateway's events store: events recorded through the
// store's own lifecycle (raise, acknowledge, resolve, close) at known times.
const T0 = Date.UTC(2026, 9, 31, 16, 0, 0);
const MIN = 60_000;
let gw: TestGateway;
let viewer: string;

function transition(type: RuleTransition['type'], rule: string, site: string, device: string, at: number): RuleTransition {
  return {
    type,
    key: `${rule}|${site}|${device}`,
    rule,
    ruleVersion: 'v1',
    item: rule === 'hazchem.combustible-gas' ? 'HC-01' : 'MN-01',
    title: rule,
    site,
    device,
    sector: site === 'mine-007' ? 'mining' : 'hazardous_chemicals',
    severity: 'warning',
    value: 30,
    threshold: 25,
    at,
    message: rule,
  };
}

beforeAll(async () => {
  gw = await startTestGateway();
  viewer = await createUser(gw, 'view-chem', 'viewer', ['hb-chem-001']);
  const ev = gw.gateway.events;
  // hb-chem-001 gas-01: 4 raises 15 s apart (chattering), each resolved 5 s later; the first
  // acknowledged after 2 minutes and closed as a false alarm.
  for (let i = 0; i < 4; i++) {
    const at = T0 + i * 15_000;
    const raised = ev.applyRuleTransition(transition('raised', 'hazchem.combustible-gas', 'hb-chem-001', 'gas-01', at))!;
    if (i === 0) ev.acknowledge(raised.event.id, 'op', null, at + 2 * MIN);
    ev.applyRuleTransition(transition('resolved', 'hazchem.combustible-gas', 'hb-chem-001', 'gas-01', at + 5000));
    if (i === 0) ev.close(raised.event.id, 'sup', 'false_alarm', 'sensor drift', at + 10 * MIN);
  }
  // mine-007: one raise that stays open.
  ev.applyRuleTransition(transition('raised', 'mining.methane', 'mine-007', 'ch4-01', T0 + 30 * MIN));
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

const period = `from=${T0}&to=${T0 + 86_400_000}`;

describe('GET /api/alarm-quality', () => {
  it('gives per-rule figures of the recorded events, worst first, with the benchmarks', async () => {
    const res = await gw.api(`/api/alarm-quality?${period}&groupBy=rule`);
    expect(res.status).toBe(200);
    expect(res.body.summary).toMatchObject({ raised: 5, chatteringKeys: 1, chatteringRaises: 4, closed: 1, falseAlarms: 1, falseAlarmShare: 1 });
    expect(res.body.summary.toAcknowledge).toEqual({ count: 1, medianMs: 2 * MIN, p90Ms: 2 * MIN });
    expect(res.body.groups.map((g: { label: string; raised: number }) => [g.label, g.raised])).toEqual([
      ['hazchem.combustible-gas', 4],
      ['mining.methane', 1],
    ]);
    expect(res.body.benchmarks.find((b: { figure: string }) => b.figure === 'chatteringKeys')).toMatchObject({ value: 1, met: false });
  });

  it('shows a site-scoped viewer only the events of its sites', async () => {
    const res = await gw.api(`/api/alarm-quality?${period}&groupBy=site`, { token: viewer });
    expect(res.status).toBe(200);
    expect(res.body.groups.map((g: { label: string }) => g.label)).toEqual(['hb-chem-001']);
    expect(res.body.summary.raised).toBe(4);
  });

  it('refuses a site outside the caller scope', async () => {
    const res = await gw.api(`/api/alarm-quality?${period}&site=mine-007`, { token: viewer });
    expect(res.status).toBe(403);
  });

  it('groups by department from the catalogue', async () => {
    const res = await gw.api(`/api/alarm-quality?${period}&groupBy=department`);
    expect(res.status).toBe(200);
    expect(res.body.groups.map((g: { label: string; raised: number }) => [g.label, g.raised])).toEqual([
      ['Emergency Management Bureau', 4],
      ['Mine Safety Administration', 1],
    ]);
  });

  it('answers a bad groupBy with a clear 400', async () => {
    const res = await gw.api(`/api/alarm-quality?${period}&groupBy=colour`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/groupBy/);
  });

  it('answers a period that ends before it starts with a 400', async () => {
    const res = await gw.api(`/api/alarm-quality?from=${T0}&to=${T0 - 1}`);
    expect(res.status).toBe(400);
  });

  it('needs a token', async () => {
    const res = await gw.api(`/api/alarm-quality?${period}`, { token: null });
    expect(res.status).toBe(401);
  });
});
