import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { start as startSim } from '../../device-sim/src/index.js';
import { parseRegistry } from '../../gateway/src/registry/index.js';
import { compileRuleSet, loadRuleSet, replay } from '../../gateway/src/rules/index.js';
import { eventually, startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A copy of the shipped rules plus one rule of our own, so tests can change files freely. */
function rulesDir(extra?: string): string {
  const dir = tempDir('gw-rules-');
  cpSync(resolve('rules'), dir, { recursive: true });
  if (extra) writeFileSync(join(dir, 'zz-test.yaml'), extra);
  return dir;
}

const FOR_RULE = `rules:
  - id: test.gas-held
    item: HC-01
    title: Combustible gas held over 30 %LEL
    kind: threshold
    match: { sector: hazardous_chemicals, metric: toxic_ppm, device: gas-01 }
    levels:
      - { severity: major, gte: 30 }
    for: 10s
`;

async function gateway(env: Record<string, string>, dataDir?: string): Promise<TestGateway> {
  const g = await startTestGateway({ INFLUX_URL: '', ...env }, testRegistry, dataDir);
  cleanups.push(() => g.stop().catch(() => undefined));
  return g;
}

const post = (g: TestGateway, path: string) => g.api(path, { method: 'POST' });

describe('rules in the live gateway', () => {
  it('keeps the progress of a for: duration across a graceful restart', async () => {
    const rules = rulesDir(FOR_RULE);
    const data = tempDir('gw-data-');
    const t0 = Date.now() - 60_000;
    const first = await gateway({ GATEWAY_RULES_DIR: rules }, data);
    let dev = await first.connect('gas-01');
    for (const dt of [0, 3_000, 7_000]) {
      await dev.publishAsync('sites/hb-chem-001/devices/gas-01/telemetry', JSON.stringify({ ts: t0 + dt, metrics: { toxic_ppm: 35 } }), { qos: 1 });
    }
    await dev.endAsync();
    await first.stop();
    cleanups.pop();

    const second = await gateway({ GATEWAY_RULES_DIR: rules }, data);
    dev = await second.connect('gas-01');
    // 10 s after the run began (7 s before the restart + 3 s after it): raises now, not 10 s later.
    await dev.publishAsync('sites/hb-chem-001/devices/gas-01/telemetry', JSON.stringify({ ts: t0 + 10_000, metrics: { toxic_ppm: 36 } }), { qos: 1 });
    const events = await eventually(async () => {
      const r = await second.api('/api/events?device=gas-01');
      return r.body.events?.find((e: { rule: string }) => e.rule === 'test.gas-held');
    }, 5000, 'the held-gas event');
    expect(events).toMatchObject({ severity: 'major', raisedAt: t0 + 10_000, value: 36 });
  });

  it('lists the rules in force with the version every event records', async () => {
    const g = await gateway({ GATEWAY_RULES_DIR: rulesDir() });
    const { body } = await g.api('/api/rules');
    const rule = body.rules.find((r: { id: string }) => r.id === 'hazchem.combustible-gas');
    expect(rule.version).toMatch(/^[0-9a-f]{12}$/);
    const dev = await g.connect('gas-01');
    await dev.publishAsync('sites/hb-chem-001/devices/gas-01/telemetry', JSON.stringify({ metrics: { gas_lel: 55 } }), { qos: 1 });
    const ev = await eventually(async () => (await g.api('/api/events?device=gas-01')).body.events?.[0], 5000, 'an event');
    expect(ev.ruleVersion).toBe(rule.version);
  });

  it('refuses an invalid rule set on reload, naming file, rule and reason, and keeps the old rules', async () => {
    const dir = rulesDir();
    const g = await gateway({ GATEWAY_RULES_DIR: dir });
    const before = (await g.api('/api/rules')).body.rules.length;
    writeFileSync(join(dir, 'zz-broken.yaml'), 'rules:\n  - id: broken.rule\n    item: NOT-IN-CATALOGUE\n    title: x\n    kind: threshold\n    match: { metric: gas_lel }\n    levels: [{ severity: warning, gte: 1 }]\n');
    const res = await post(g, '/api/rules/reload');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('GW_RULES_INVALID');
    expect(res.body.error.problems[0]).toMatchObject({ file: expect.stringContaining('zz-broken.yaml'), ruleId: 'broken.rule' });
    expect(res.body.error.problems[0].reason).toMatch(/catalogue/);
    expect((await g.api('/api/rules')).body.rules.length).toBe(before);
  });

  it('replaces the rule set atomically on a valid reload, with a new version for the changed rule only', async () => {
    const dir = rulesDir();
    const g = await gateway({ GATEWAY_RULES_DIR: dir });
    const versions = new Map((await g.api('/api/rules')).body.rules.map((r: { id: string; version: string }) => [r.id, r.version]));
    const file = join(dir, 'hazardous-chemicals.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{ severity: critical, gte: 50 }', '{ severity: critical, gte: 45 }'));
    const res = await post(g, '/api/rules/reload');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, changed: 1 });
    const after = new Map((await g.api('/api/rules')).body.rules.map((r: { id: string; version: string }) => [r.id, r.version]));
    const changed = [...after].filter(([id, v]) => versions.get(id) !== v).map(([id]) => id);
    expect(changed).toEqual(['hazchem.combustible-gas']);
  });

  it('picks up a new rule file through the directory watcher', async () => {
    const dir = rulesDir();
    const g = await gateway({ GATEWAY_RULES_DIR: dir });
    writeFileSync(join(dir, 'zz-test.yaml'), FOR_RULE);
    await eventually(async () => (await g.api('/api/rules')).body.rules.some((r: { id: string }) => r.id === 'test.gas-held'), 10_000, 'the watcher to load the new rule');
  });

  it('raises the same events live over MQTT as the replay command does for the recorded stream', async () => {
    const data = tempDir('gw-replay-');
    const record = join(data, 'recorded.ndjson');
    const g = await gateway({ GATEWAY_RULES_DIR: rulesDir() });
    const hazchem = testRegistry.sites.filter((s) => s.id === 'hb-chem-001').map((s) => ({ ...s, devices: s.devices.filter((d) => d.kind === 'sensor') }));
    const sim = await startSim({
      url: g.mqttUrl,
      registry: { sites: hazchem } as never,
      rate: 40,
      duration: '3s',
      qos: 1,
      quiet: true,
      startTime: 'now',
      record,
      scenarios: ['gas-01=spike:metric=gas_lel,to=55,at=0s,for=1s', 'gas-02=leak:metric=gas_lel,to=60,over=2s'],
    });
    await sim.done;
    await eventually(async () => (await g.api('/api/events?site=hb-chem-001')).body.events.length >= 2, 5000, 'live events');
    const live = (await g.api('/api/events?site=hb-chem-001&limit=100')).body.events as Array<{ rule: string; device: string; raisedAt: number }>;

    const lines = readFileSync(record, 'utf8').trim().split('\n');
    const replayed = replay(compileRuleSet(loadRuleSet(resolve('rules'))), parseRegistry(testRegistry), lines).filter((t) => t.type === 'raised');
    // Live events carry their current (maybe escalated) severity and value; the raise itself is
    // identified by rule, device and event time, which must be the same in both.
    const live_ = live.map((e) => `${e.rule}|${e.device}|${e.raisedAt}`).sort();
    expect(live_).toEqual(replayed.map((t) => `${t.rule}|${t.device}|${t.at}`).sort());
  });
});
