import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRegistry, registryToYaml, start, type PublishedMessage } from '../../device-sim/src/index.js';
import { createEventStore } from '../../gateway/src/events/index.js';
import { decodeMessage } from '../../gateway/src/ingest/index.js';
import { parseRegistry, type Registry } from '../../gateway/src/registry/index.js';
import { main } from '../../gateway/src/rules/cli.js';
import { compileRuleSet, loadRuleSet, replay } from '../../gateway/src/rules/index.js';
import { detectionLines, openStateDb, telemetryLine } from '../../gateway/src/storage/index.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

// A recorded fleet stream (the simulator, seeded) written into a real influxd with the
// gateway's own line builders; its events, as the rules in force raise them, recorded in a
// real state database and closed by a supervisor as false alarms or confirmed violations.
// The candidate raises the combustible-gas warning level from 25 to 35 %LEL. What the backtest
// must report is worked out here independently: from the recorded values, an event whose peak
// stayed below 35 would not have been raised.
const RULE = 'hazchem.combustible-gas';
const START = Date.UTC(2026, 10, 1, 0, 0, 0);
const HOUR = 3_600_000;
let influx: TestInfluxd;
let dir: string;
let registry: Registry;
let messages: PublishedMessage[];
const expected = { avoided: [] as string[], missed: [] as string[], kept: [] as string[] };

async function record(): Promise<PublishedMessage[]> {
  const out: PublishedMessage[] = [];
  const spike = (device: string, to: number, at: string) => `sim-0001-${device}=spike:metric=gas_lel,to=${to},at=${at},every=10m,for=20s`;
  const handle = await start({
    registry: generateRegistry({ sites: 1, devicesPerSite: 3, sector: 'hazardous_chemicals', seed: 7 }),
    seed: 7,
    startTime: START,
    rate: 3,
    duration: HOUR,
    dryRun: true,
    quiet: true,
    scenarios: [spike('tank-01', 30, '2m'), spike('tank-02', 32, '4m'), spike('tank-03', 40, '6m')],
    onPublish: (m) => out.push(m),
  });
  await handle.done;
  return out;
}

/** Every reading and detection into InfluxDB, as the gateway writes them (one line per message). */
async function store(msgs: readonly PublishedMessage[]) {
  const lines: string[] = [];
  for (const m of msgs) {
    const device = registry.device(m.topic.split('/')[3]!)!;
    const d = decodeMessage(m.topic, Buffer.from(m.body), device, m.receivedAt);
    if (!d.ok || d.channel === 'status') continue;
    if (d.channel === 'telemetry') lines.push(telemetryLine(d.readings));
    else lines.push(...detectionLines(d.detections));
  }
  for (let i = 0; i < lines.length; i += 5000) {
    const res = await fetch(`${influx.server.url}/write?db=${influx.database}&precision=ns`, { method: 'POST', headers: influx.headers, body: lines.slice(i, i + 5000).join('\n') });
    expect(res.status).toBe(204);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-backtest-'));
  const fleet = generateRegistry({ sites: 1, devicesPerSite: 3, sector: 'hazardous_chemicals', seed: 7 });
  writeFileSync(join(dir, 'registry.yaml'), registryToYaml(fleet));
  registry = parseRegistry(fleet);
  influx = await startTestInfluxd('backtest');
  messages = await record();
  await store(messages);

  // The candidate: the shipped rules with the warning level of one rule raised to 35.
  cpSync(resolve('rules'), join(dir, 'candidate'), { recursive: true });
  const file = join(dir, 'candidate', 'hazardous-chemicals.yaml');
  const yaml = readFileSync(file, 'utf8');
  const at = yaml.indexOf(`id: ${RULE}`);
  const cut = yaml.indexOf('{ severity: warning, gte: 25 }', at);
  writeFileSync(file, `${yaml.slice(0, cut)}{ severity: warning, gte: 35 }${yaml.slice(cut + 30)}`);

  // The events as the live gateway records them (same engine, same stream), then closed.
  const db = openStateDb(join(dir, 'data'));
  const events = createEventStore(db);
  const lines = messages.map((m) => ({ topic: m.topic, payload: m.body, receivedAt: m.receivedAt }));
  for (const t of replay(compileRuleSet(loadRuleSet(resolve('rules'))), registry, lines)) events.applyRuleTransition(t);
  const gas = events.list({ limit: 10_000 }).filter((e) => e.rule === RULE).reverse();
  expect(gas.length).toBeGreaterThan(10);
  const peak = (device: string, a: number, b: number) => {
    let max = -Infinity;
    for (const m of messages) {
      if (!m.topic.endsWith(`/${device}/telemetry`) || m.receivedAt < a || m.receivedAt > b) continue;
      const v = (JSON.parse(m.body) as { metrics: Record<string, number> }).metrics.gas_lel;
      if (v !== undefined) max = Math.max(max, v);
    }
    return max;
  };
  let firstOfTank02 = true;
  for (const e of gas) {
    if (e.state !== 'resolved') continue; // still open at the end: left open
    const confirmed = e.device.endsWith('tank-03') || (e.device.endsWith('tank-02') && firstOfTank02);
    if (e.device.endsWith('tank-02')) firstOfTank02 = false;
    events.close(e.id, 'sup-wang', confirmed ? 'confirmed_violation' : 'false_alarm', 'checked on site', e.resolvedAt! + 60_000);
    const survives = peak(e.device, e.raisedAt, e.resolvedAt!) >= 35;
    if (survives) expected.kept.push(e.id);
    else (confirmed ? expected.missed : expected.avoided).push(e.id);
  }
  db.close();
}, 180_000);

afterAll(async () => {
  await influx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runCli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env = { INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_DATA_DIR: join(dir, 'data'), GATEWAY_REGISTRY: join(dir, 'registry.yaml'), GATEWAY_RULES_DIR: resolve('rules') };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await main(['backtest', ...args], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
}

const period = ['--from', new Date(START).toISOString(), '--to', new Date(START + HOUR).toISOString()];

describe('npm run rules -- backtest', () => {
  it('names exactly the false alarms a raised threshold avoids and the confirmed violation it misses', async () => {
    expect(expected.avoided.length).toBeGreaterThan(3);
    expect(expected.missed).toHaveLength(1);
    expect(expected.kept.length).toBeGreaterThan(0);
    const r = await runCli([...period, '--rules', join(dir, 'candidate'), '--format', 'json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.avoidedFalseAlarms.map((e: { id: string }) => e.id).sort()).toEqual([...expected.avoided].sort());
    expect(result.missedConfirmed.map((e: { id: string }) => e.id)).toEqual(expected.missed);
    const row = result.perRule.find((p: { rule: string }) => p.rule === RULE);
    expect(row).toMatchObject({ avoidedFalseAlarms: expected.avoided.length, missedConfirmed: 1, unreproduced: 0 });
    expect(row.after).toBe(row.before - row.removed + row.added);
    expect(row.removed).toBeGreaterThan(0);
  });

  it('changes nothing for the rules the candidate leaves alone', async () => {
    const r = await runCli([...period, '--rules', join(dir, 'candidate'), '--format', 'json']);
    const others = JSON.parse(r.out).perRule.filter((p: { rule: string }) => p.rule !== RULE);
    for (const p of others) expect({ rule: p.rule, removed: p.removed, added: p.added, before: p.before }).toEqual({ rule: p.rule, removed: 0, added: 0, before: p.after });
  });

  it('reports no difference when the candidate is the rule set in force', async () => {
    const r = await runCli([...period, '--rules', resolve('rules'), '--format', 'json']);
    const result = JSON.parse(r.out);
    expect(result.totals).toMatchObject({ removed: 0, added: 0, earlier: 0, later: 0, avoidedFalseAlarms: 0, missedConfirmed: 0 });
    expect(result.totals.before).toBeGreaterThan(10);
    expect(result.points).toBe(messages.filter((m) => m.topic.endsWith('/telemetry')).length);
  });

  it('prints a table for people and progress on stderr', async () => {
    const r = await runCli([...period, '--rules', join(dir, 'candidate'), '--page-size', '500']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`${RULE.replace('.', '\\.')}\\s+\\d+`));
    expect(r.out).toMatch(/confirmed violations missed .*: 1 of/);
    expect(r.err).toMatch(/backtest: done/);
  });

  it('explains what it needs with --help and when an option is missing', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--rules <dir>/);
    const missing = await runCli(['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/needs --rules/);
  });

  it('refuses an invalid candidate with its problems', async () => {
    const bad = join(dir, 'bad');
    cpSync(join(dir, 'candidate'), bad, { recursive: true });
    writeFileSync(join(bad, 'broken.yaml'), 'rules:\n  - id: x\n    kind: threshold\n');
    const r = await runCli([...period, '--rules', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.yaml/);
  });
});
