// The public "一公开" pages and the console's risk page in a real Chromium against a real
// gateway with InfluxDB: the public pages need no token and show the plan, seed hash, seed and
// drawn enterprises in Chinese; the risk page ranks sites and explains a score line by line.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAndClose } from '../helpers/events.js';
import { eventually, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { createInspectors, EEB, EMB, HUD, supervisionRegistry } from '../helpers/supervision.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = resolve('test/e2e/screenshots');

let gw: TestGateway;
let context: BrowserContext;
let page: Page;
let profile: string;
let planId: string;
let seed: string;
let seedHash: string;
const problems: string[] = [];
const authHeaders: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'supervision-e2e-chromium-'));
  [gw, context] = await Promise.all([
    startTestGateway({}, supervisionRegistry),
    chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' }),
  ]);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/public') && r.headers().authorization) authHeaders.push(r.url());
  });
  await createInspectors(gw, { 'insp-e1': { departments: [EMB] }, 'insp-e2': { departments: [EMB] }, 'insp-v1': { departments: [EEB] }, 'insp-v2': { departments: [EEB] }, 'insp-h1': { departments: [HUD] }, 'insp-h2': { departments: [HUD] } });
  const created = await gw.post('/api/inspections/plans', { title: '2026年12月 联合抽查', period: { from: '2026-12-01', to: '2026-12-31' }, departments: [EMB, EEB, HUD] });
  planId = created.body.id;
  seedHash = created.body.seedHash;
  // A confirmed critical violation at chem-d, scored, so the risk page has something to explain.
  const client = await gw.connect('chem-d-gas');
  await client.publishAsync('sites/chem-d/devices/chem-d-gas/telemetry', JSON.stringify({ metrics: { gas_lel: 58 } }), { qos: 1 });
  await client.endAsync();
  const ev = await eventually(async () => (await gw.api('/api/events?site=chem-d')).body.events.find((e: any) => e.item === 'HC-01'), 10_000, 'the gas event');
  await resolveAndClose(gw, ev.id, 'confirmed_violation');
  await gw.gateway.supervision.evaluateRisk();
});

afterAll(async () => {
  await context?.close();
  await gw?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('public pages in Chromium, without a token', () => {
  it('show a committed plan with its seed hash and the seed still secret', async () => {
    await page.goto(`${gw.httpUrl}/public/inspections`);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await page.getByRole('link', { name: '2026年12月 联合抽查' }).click();
    await page.locator('#seed-hash').waitFor();
    expect(await page.locator('#seed-hash').textContent()).toBe(seedHash);
    expect(await page.locator('#seed').textContent()).toContain('抽取后公布');
    await page.screenshot({ path: join(SHOTS, 'public-01-committed.png'), fullPage: true });
  });

  it('show the revealed seed and the drawn enterprises after the draw', async () => {
    seed = (await gw.post(`/api/inspections/plans/${planId}/draw`, undefined)).body.seed;
    await page.reload();
    expect(await page.locator('#seed').textContent()).toBe(seed);
    const rows = page.locator('#visits tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(2);
    const text = await page.locator('#visits').textContent();
    expect(text).toContain('重点危化储罐区');
    expect(text).toContain('城东建筑工地');
    expect(text).toContain('重点监管');
    await page.screenshot({ path: join(SHOTS, 'public-02-drawn.png'), fullPage: true });
  });

  it('offer the JSON export as a download link that verify reads', async () => {
    const href = await page.getByRole('link', { name: /下载 JSON/ }).getAttribute('href');
    const res = await page.request.get(`${gw.httpUrl}${href}`);
    expect(res.headers()['content-type']).toMatch(/application\/json/);
    expect((await res.json()).seed).toBe(seed);
  });

  it('loaded with no token sent and no error or CSP complaint', () => {
    expect(authHeaders).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('the console risk page', () => {
  it('ranks sites with their level and explains a score line by line', async () => {
    await page.goto(`${gw.httpUrl}/`);
    await page.locator('#token').fill(TEST_TOKEN);
    await page.locator('form.signin button[type=submit]').click();
    await page.locator('nav a[href="#/risk"]').click();
    const first = page.locator('table.risk tbody tr').first();
    await first.waitFor();
    expect(await first.getAttribute('data-site')).toBe('chem-d');
    expect(await first.locator('[data-level]').getAttribute('data-level')).toBe('orange');
    await page.screenshot({ path: join(SHOTS, 'risk-01-ranking.png'), fullPage: true });
    await first.locator('a').click();
    await page.locator('table.risk-breakdown').waitFor();
    const factors = await page.locator('table.risk-breakdown tr[data-factor]').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { factor: string } }).dataset.factor));
    expect(factors).toEqual(expect.arrayContaining(['events', 'credit_grade']));
    expect(await page.locator('.risk-score').textContent()).toMatch(/^\d+(\.\d+)?$/);
    await page.screenshot({ path: join(SHOTS, 'risk-02-breakdown.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
