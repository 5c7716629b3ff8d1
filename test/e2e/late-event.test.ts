// An event raised from buffered (late) readings, as a supervisor sees it in the console in a
// real Chromium: marked late on the wall, and on its page "raised 2 hours ago, received now".
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTelemetry } from '../helpers/events.js';
import { launchChromium } from '../helpers/chromium.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

let influx: TestInfluxd;
let gw: TestGateway;
let context: BrowserContext;
let page: Page;
let profile: string;
let lateId: string;

beforeAll(async () => {
  mkdirSync(resolve('test/e2e/screenshots'), { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'late-e2e-chromium-'));
  [influx, context] = await Promise.all([startTestInfluxd('late_e2e'), launchChromium(profile)]);
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database });
  // A detector re-sends what it buffered two hours ago: 60 %LEL is over the critical level.
  const twoHoursAgo = Date.now() - 2 * 3_600_000;
  await publishTelemetry(gw, 'gas-01', { gas_lel: 5 }, twoHoursAgo - 20_000);
  const raised = await publishTelemetry(gw, 'gas-01', { gas_lel: 60 }, twoHoursAgo);
  lateId = raised.find((a) => a.transition.type === 'raised')!.event.id;
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  await page.goto(`${gw.httpUrl}/`);
  await page.getByLabel('API token').fill(TEST_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
});

afterAll(async () => {
  await context?.close();
  await gw?.stop();
  await influx?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('a late event in the console', () => {
  it('is marked late data on the wall, raised 2 hours ago and received now', async () => {
    const row = page.locator(`tr[data-event-id="${lateId}"]`);
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain('late data');
    const note = (await row.locator('.late-note').textContent()) ?? '';
    expect(note).toMatch(/^raised 2 hours ago, received (now|\d+ seconds? ago)$/);
    await page.screenshot({ path: resolve('test/e2e/screenshots/late-wall.png'), fullPage: true });
  });

  it('says on its page when it was raised and when the gateway received it', async () => {
    await page.goto(`${gw.httpUrl}/#/events/${lateId}`);
    const note = (await page.locator('#late-note').textContent()) ?? '';
    expect(note).toMatch(/^Raised 2 hours ago by the readings’ own time, received (now|\d+ seconds? ago)/);
    expect(await page.locator('.event-head dl.facts').textContent()).toContain('Received by the gateway');
    await page.screenshot({ path: resolve('test/e2e/screenshots/late-event.png'), fullPage: true });
  });
});
