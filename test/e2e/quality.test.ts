// The alarm-quality page in a real Chromium against a real gateway (private influxd, MQTT):
// the worst rule first with the standards' targets, then a backtest of the rule directory
// run from the page, its diff beside the rules' figures, approved by a supervisor in a
// second browser context and applied by the admin.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, raise, resolveAndClose } from '../helpers/events.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = resolve('test/e2e/screenshots');
const RULE = 'hazchem.combustible-gas';
let gw: TestGateway;
let rulesDir: string;
let profile: string;
let context: BrowserContext;
let page: Page;
let supervisor: string;
const problems: string[] = [];

async function signIn(p: Page, token: string) {
  await p.goto(`${gw.httpUrl}/#/quality`);
  await p.getByLabel('API token').fill(token);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  rulesDir = mkdtempSync(join(tmpdir(), 'gw-quality-rules-'));
  cpSync(resolve('rules'), rulesDir, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'quality-e2e-chromium-'));
  gw = await startTestGateway({ GATEWAY_RULES_DIR: rulesDir, GATEWAY_RULES_APPROVAL: 'required' });
  supervisor = await createUser(gw, 'sup-zhao', 'supervisor');
  // Three false alarms at 30 %LEL on gas-01 and one confirmed violation at 45 on gas-02.
  for (let i = 0; i < 3; i++) await resolveAndClose(gw, await raise(gw, 'gas-01', { gas_lel: 30 }), 'false_alarm');
  await resolveAndClose(gw, await raise(gw, 'gas-02', { gas_lel: 45 }), 'confirmed_violation');
  expect(await gw.gateway.history.flush(20_000)).toBe(true);
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 1000 }, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => problems.push(err.message));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await gw?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (rulesDir) rmSync(rulesDir, { recursive: true, force: true });
});

describe('alarm-quality page', () => {
  it('lists the worst rule first with its false-alarm share and the targets beside the figures', async () => {
    await signIn(page, TEST_TOKEN);
    await page.getByRole('heading', { level: 1, name: 'Alarm quality' }).waitFor();
    const first = page.locator('table.quality-groups tbody tr').first();
    await expect.poll(() => first.getAttribute('data-group')).toBe(RULE);
    expect(await first.locator('td').nth(1).textContent()).toBe('4');
    expect(await first.locator('td').nth(7).textContent()).toBe('75 %');
    expect(await page.locator('.quality-benchmarks li[data-figure="perDay"]').textContent()).toMatch(/150 alarms a day/);
    await page.screenshot({ path: join(SHOTS, 'quality-01-figures.png'), fullPage: true });
  });

  it('runs a backtest of the edited rule directory and shows its diff beside the rule figures', async () => {
    // An admin edits the rules on disk: the warning level goes from 25 to 35 %LEL.
    const file = join(rulesDir, 'hazardous-chemicals.yaml');
    const yaml = readFileSync(file, 'utf8');
    const cut = yaml.indexOf('{ severity: warning, gte: 25 }', yaml.indexOf(`id: ${RULE}`));
    writeFileSync(file, `${yaml.slice(0, cut)}{ severity: warning, gte: 35 }${yaml.slice(cut + 30)}`);
    await page.getByRole('button', { name: /Backtest the rule directory/ }).click();
    const row = page.locator(`.quality-backtest[data-state="done"] table.quality-diff tr[data-rule="${RULE}"]`);
    await row.waitFor({ timeout: 60_000 });
    const cells = await row.locator('td').allTextContents();
    // rule, now (alarms / false share), before, after, removed, added, avoided, missed
    expect(cells).toEqual([RULE, '4 / 75 %', '2', '1', '1', '0', '3', '0']);
    await page.screenshot({ path: join(SHOTS, 'quality-02-backtest.png'), fullPage: true });
  });

  it('is approved by a supervisor in another session and then applied by the admin', async () => {
    const other = await context.newPage();
    await signIn(other, supervisor);
    await other.getByRole('button', { name: 'Approve this change' }).click();
    await other.getByText('approved by sup-zhao').waitFor();
    await other.close();
    await page.reload();
    await page.getByRole('button', { name: 'Reload the approved rules' }).click();
    await page.getByText('applied by admin').waitFor();
    const rules = await gw.api('/api/rules');
    expect(rules.status).toBe(200);
    expect(problems).toEqual([]);
  });
});
