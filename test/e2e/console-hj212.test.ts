// An HJ 212 data logger's readings in the console, in Debian's Chromium against a real gateway
// (real TCP logger, real influxd): the factor's name with its code and the kind of value, and
// its unit, from GET /api/hj212/factors, on the wall, the event page and the charts page, in
// Chinese and in English.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocalTime, formatPacket, frame } from '../../gateway/src/hj212/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { eventually, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { ackFor, TestLogger } from '../helpers/hj212-logger.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

const SHOTS = resolve('test/e2e/screenshots');
const MN = 'MNWEB0001';
const registry = {
  sites: [{ id: 'plant-07', name: '城南污水处理厂', sector: 'pollution_source', devices: [{ id: 'cod-07', protocol: 'hj212', hj212: { mn: MN, password: `PW-${MN}`, crc: 'hj212' } }] }],
};

let influx: TestInfluxd;
let gw: TestGateway;
let browser: Browser;
let logger: TestLogger;
let eventId: string;
const problems: string[] = [];

let seq = 0;
function send(cn: string, at: number, cp: string): Promise<unknown> {
  const qn = formatLocalTime(Date.now(), 'Asia/Shanghai', true).slice(0, 14) + String(seq++ % 1000).padStart(3, '0');
  logger.send(frame(formatPacket({ qn, st: '32', cn, pw: `PW-${MN}`, mn: MN, flag: { value: 5, ack: true, split: false, versionBits: 1, version: '2017' }, cp: `DataTime=${formatLocalTime(at, 'Asia/Shanghai')};${cp}` })));
  return logger.until(ackFor(qn));
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [influx, browser] = await Promise.all([startTestInfluxd('console_hj212'), chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS })]);
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_HJ212_PORT: '0', GATEWAY_MAX_CLOCK_SKEW: '2h' }, registry);
  logger = await TestLogger.open(gw.hj212Port!);
  // Real-time values for the chart, then last hour's average over the COD limit (a major event).
  const now = Date.now();
  for (let i = 10; i >= 1; i--) await send('2011', now - i * 60_000, `w01018-Rtd=${40 + i}.5,w01018-Flag=N;w21003-Rtd=3.2,w21003-Flag=N`);
  await send('2061', now - 3_600_000, 'w01018-Avg=130.0,w01018-Flag=N');
  eventId = await eventually(async () => (await gw.api('/api/events?site=plant-07')).body.events.find((e: { rule: string }) => e.rule === 'pollution.hj212-cod-hourly')?.id, 10_000, 'the hourly COD event');
  expect(await gw.gateway.history.flush(20_000)).toBe(true);
}, 60_000);

afterAll(async () => {
  logger?.close();
  await browser?.close();
  await gw?.stop();
  await influx?.stop();
});

async function openPage(locale: string): Promise<Page> {
  const context = await browser.newContext({ locale, timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(`${gw.httpUrl}/`);
  await page.locator('#token').fill(TEST_TOKEN);
  await page.locator('form.signin button[type=submit]').click();
  await page.locator('#live[data-status="live"]').waitFor();
  return page;
}

describe('an HJ 212 logger in the console, in Chinese', () => {
  let page: Page;
  beforeAll(async () => {
    page = await openPage('zh-CN');
  }, 30_000);
  afterAll(async () => page?.context().close());

  it('names the factor, its code and the kind of value beside the value and its unit on the wall', async () => {
    const cell = page.locator(`tr[data-event-id="${eventId}"] td.c-value`);
    await cell.waitFor();
    expect(await cell.textContent()).toContain('130 mg/L');
    expect(await cell.locator('.factor').textContent()).toBe('化学需氧量（w01018）平均值');
    const title = await page.locator(`tr[data-event-id="${eventId}"] td.c-event`).textContent();
    expect(title).toContain('化学需氧量小时均值（HJ 212 CN 2061）超过排放限值');
    expect(title).toContain('化学需氧量（w01018）平均值');
    await page.screenshot({ path: join(SHOTS, '30-zh-wall-hj212.png') });
  });

  it('names the factor on the event page, in the readings heading and beside the value', async () => {
    await page.evaluate(`location.hash = '#/events/${eventId}'`);
    const heading = page.locator('#h-readings');
    await heading.waitFor();
    expect(await heading.textContent()).toContain('化学需氧量（w01018）平均值');
    expect(await page.locator('main').textContent()).toContain('130 mg/L');
    await page.screenshot({ path: join(SHOTS, '31-zh-event-hj212.png'), fullPage: true });
  });
});

describe('an HJ 212 logger in the console, in English', () => {
  let page: Page;
  beforeAll(async () => {
    page = await openPage('en-GB');
  }, 30_000);
  afterAll(async () => page?.context().close());

  it('lists the factors by name on the charts page and draws the real-time COD with its unit', async () => {
    await page.evaluate(`location.hash = '#/charts?site=plant-07&device=cod-07&metric=w01018&range=1h'`);
    const caption = page.locator('#chart-caption');
    await expect.poll(() => caption.textContent()).toContain('10 readings');
    expect(await caption.textContent()).toContain('COD (w01018), real-time');
    expect(await caption.textContent()).toContain('mg/L');
    const options = await page.locator('#c-metric option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['COD (w01018), real-time', 'ammonia nitrogen (NH3-N) (w21003), real-time']));
    await page.screenshot({ path: join(SHOTS, '32-en-chart-hj212.png') });
  });

  it('raised no page error', () => {
    expect(problems).toEqual([]);
  });
});
