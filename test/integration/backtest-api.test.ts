import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, raise, resolveAndClose } from '../helpers/events.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

// POST /api/rules/backtest on a real gateway (private influxd, real MQTT, real HTTP): two
// combustible-gas events, one closed as a false alarm (30 %LEL), one as a confirmed violation
// (40 %LEL); a candidate with the warning level at 35 runs in a worker thread, then a second
// person approves it and an admin applies it, each step in the audit trail.
const RULE = 'hazchem.combustible-gas';
let gw: TestGateway;
let rulesDir: string;
let supervisor: string;
let falseAlarm: string;
let confirmed: string;
let candidateYaml: string;
let from: number;

beforeAll(async () => {
  rulesDir = mkdtempSync(join(tmpdir(), 'gw-bt-rules-'));
  cpSync(resolve('rules'), rulesDir, { recursive: true });
  const yaml = readFileSync(join(rulesDir, 'hazardous-chemicals.yaml'), 'utf8');
  const cut = yaml.indexOf('{ severity: warning, gte: 25 }', yaml.indexOf(`id: ${RULE}`));
  candidateYaml = `${yaml.slice(0, cut)}{ severity: warning, gte: 35 }${yaml.slice(cut + 30)}`;
  gw = await startTestGateway({ GATEWAY_RULES_DIR: rulesDir, GATEWAY_RULES_APPROVAL: 'required' });
  supervisor = await createUser(gw, 'sup-li', 'supervisor');
  from = Date.now() - 60_000;
  falseAlarm = await raise(gw, 'gas-01', { gas_lel: 30 });
  await resolveAndClose(gw, falseAlarm, 'false_alarm');
  confirmed = await raise(gw, 'gas-02', { gas_lel: 40 });
  await resolveAndClose(gw, confirmed, 'confirmed_violation');
  expect(await gw.gateway.history.flush(20_000)).toBe(true);
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  rmSync(rulesDir, { recursive: true, force: true });
});

let id: string;

describe('backtests through the API', () => {
  it('runs a candidate in a worker while the gateway keeps answering, and names the avoided false alarm', async () => {
    const started = await gw.post('/api/rules/backtest', { from, to: Date.now() + 60_000, files: { 'hazardous-chemicals.yaml': candidateYaml } });
    expect(started.status).toBe(202);
    id = started.body.id;
    // The API answers while the backtest runs in its worker thread.
    const during = await gw.api('/api/rules/backtests');
    expect(during.status).toBe(200);
    expect(during.body.backtests[0].id).toBe(id);
    const done = await eventually(async () => {
      const r = await gw.api(`/api/rules/backtests/${id}`);
      return r.body.state !== 'running' ? r.body : undefined;
    }, 60_000, 'the backtest to finish');
    expect(done.error).toBeNull();
    expect(done.state).toBe('done');
    expect(done.result.avoidedFalseAlarms.map((e: { id: string }) => e.id)).toEqual([falseAlarm]);
    expect(done.result.missedConfirmed).toEqual([]);
    const row = done.result.perRule.find((p: { rule: string }) => p.rule === RULE);
    expect(row).toMatchObject({ before: 2, after: 1, avoidedFalseAlarms: 1, missedConfirmed: 0 });
  });

  it('refuses a second backtest while one runs', async () => {
    const a = await gw.post('/api/rules/backtest', { from, to: Date.now() });
    const b = await gw.post('/api/rules/backtest', { from, to: Date.now() });
    expect(a.status).toBe(202);
    expect(b.status).toBe(409);
    await eventually(async () => (await gw.api(`/api/rules/backtests/${a.body.id}`)).body.state !== 'running', 60_000, 'the second backtest');
  });

  it('reports the problems of an invalid candidate', async () => {
    const r = await gw.post('/api/rules/backtest', { from, to: Date.now(), files: { 'broken.yaml': 'rules:\n  - id: x\n    kind: threshold\n' } });
    expect(r.status).toBe(202);
    const done = await eventually(async () => {
      const x = await gw.api(`/api/rules/backtests/${r.body.id}`);
      return x.body.state !== 'running' ? x.body : undefined;
    }, 60_000, 'the failed backtest');
    expect(done.state).toBe('failed');
    expect(done.problems.map((p: { file: string }) => p.file)).toContain('broken.yaml');
  });

  it('needs another person to approve it, and records who approved what', async () => {
    const self = await gw.post(`/api/rules/backtests/${id}/approve`, { note: 'mine' });
    expect(self.status).toBe(403);
    const ok = await gw.post(`/api/rules/backtests/${id}/approve`, { note: 'one false alarm less, nothing missed' }, supervisor);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ranBy: 'admin', approvedBy: 'sup-li' });
    const audit = await gw.api('/api/audit?limit=1000');
    const rows = audit.body.records.filter((r: { kind: string; detail: { backtest?: string } }) => r.kind === 'rules' && r.detail?.backtest === id);
    expect(rows.map((r: { type: string; actor: string }) => [r.type, r.actor])).toEqual([
      ['backtest', 'admin'],
      ['approved', 'sup-li'],
    ]);
    expect(rows[1].note).toMatch(/1 of 1 past false alarms avoided; 0 of 1 confirmed violations missed/);
  });

  it('applies only the approved candidate, and plain reloads are refused', async () => {
    const reload = await gw.post('/api/rules/reload', {});
    expect(reload.status).toBe(409);
    const notYet = await gw.post(`/api/rules/backtests/${id}/apply`, {});
    expect(notYet.status).toBe(409);
    expect(notYet.body.error.message).toMatch(/not the candidate/);
    writeFileSync(join(rulesDir, 'hazardous-chemicals.yaml'), candidateYaml);
    const applied = await gw.post(`/api/rules/backtests/${id}/apply`, {});
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ appliedBy: 'admin', changed: 1 });
    const audit = await gw.api('/api/audit?limit=1000');
    expect(audit.body.records.some((r: { kind: string; type: string; detail: { backtest?: string; approvedBy?: string } }) => r.kind === 'rules' && r.type === 'applied' && r.detail.backtest === id && r.detail.approvedBy === 'sup-li')).toBe(true);
    const again = await gw.post(`/api/rules/backtests/${id}/apply`, {});
    expect(again.status).toBe(409);
  });

  it('keeps backtests to admins and approvals to supervisors', async () => {
    expect((await gw.post('/api/rules/backtest', { from, to: Date.now() }, supervisor)).status).toBe(403);
    expect((await gw.post(`/api/rules/backtests/${id}/apply`, {}, supervisor)).status).toBe(403);
  });
});
