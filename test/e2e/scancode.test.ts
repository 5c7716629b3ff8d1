// 扫码监管 in Debian's Chromium emulating a phone (Pixel 7, Chinese): a complaint sent from
// the site page's form reaches the department's wall in the console and its state is readable
// by tracking code; an inspector checks in by the site's code, records, finishes and the
// enterprise confirms with the one-time code on the same public page; the poster prints.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, devices, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { makeJpeg } from '../helpers/pictures.js';
import { createInspectors, EMB, HUD, supervisionRegistry } from '../helpers/supervision.js';

const SHOTS = resolve('test/e2e/screenshots');
// jsqr is CommonJS whose module.exports is the function itself.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;
let gw: TestGateway;
let phone: BrowserContext;
let page: Page;
let profile: string;
let tokens: Record<string, string>;
let operator: string;
let siteCode: string;
const problems: string[] = [];

async function signIn(p: Page, token: string) {
  await p.goto(`${gw.httpUrl}/`);
  await p.locator('#token').fill(token);
  await p.locator('form.signin button[type=submit]').click();
  await p.locator('#sign-out').waitFor();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'scancode-e2e-chromium-'));
  [gw, phone] = await Promise.all([
    startTestGateway({}, supervisionRegistry),
    chromium.launchPersistentContext(profile, { ...devices['Pixel 7'], executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' }),
  ]);
  page = phone.pages()[0] ?? (await phone.newPage());
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  tokens = await createInspectors(gw, { 'insp-e1': { departments: [EMB] }, 'insp-e2': { departments: [EMB] }, 'insp-h9': { departments: [HUD] } });
  operator = (await gw.post('/api/users', { name: 'op-emb', role: 'operator', departments: [EMB] })).body.token;
  siteCode = (await gw.api('/api/sites/chem-key/code')).body.code;
});

afterAll(async () => {
  await phone?.close();
  await gw?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('a complaint from a phone', () => {
  let tracking: string;

  it('is sent from the site page form with a picture and answered with a tracking code', async () => {
    await page.goto(`${gw.httpUrl}/s/${siteCode}`);
    expect(await page.locator('#site-name').textContent()).toBe('重点危化储罐区');
    await page.locator('#category').selectOption('safety');
    await page.locator('#description').fill('二号罐区夜间有人吸烟');
    await page.locator('#contact').fill('13900139000');
    await page.locator('#pictures').setInputFiles({ name: 'smoke.jpg', mimeType: 'image/jpeg', buffer: makeJpeg(3) });
    await page.screenshot({ path: join(SHOTS, 'scancode-01-site-page.png'), fullPage: true });
    await page.locator('#complaint button[type=submit]').click();
    await page.locator('#tracking-code').waitFor();
    tracking = (await page.locator('#tracking-code').textContent())!.trim();
    expect(tracking).toMatch(/^[a-z2-7]{32}$/);
    await page.screenshot({ path: join(SHOTS, 'scancode-02-receipt.png'), fullPage: true });
  });

  it("shows on the department's wall in the console", async () => {
    const desk = await phone.newPage();
    await signIn(desk, operator);
    await desk.getByText('二号罐区夜间有人吸烟').first().waitFor();
    await desk.screenshot({ path: join(SHOTS, 'scancode-03-wall.png'), fullPage: true });
    // The event page shows the operator what the sender left, the contact included.
    await desk.locator('a[href^="#/events/ev-"]').first().click();
    expect(await desk.locator('#complaint-contact').textContent()).toBe('13900139000');
    await desk.screenshot({ path: join(SHOTS, 'scancode-03b-event.png'), fullPage: true });
    await desk.close();
  });

  it('has a state readable by its tracking code, and nothing else', async () => {
    await page.locator('#track').click();
    expect(await page.locator('#state').textContent()).toBe('已受理');
    const text = await page.locator('main').textContent();
    for (const privateText of ['13900139000', '二号罐区', 'op-emb']) expect(text).not.toContain(privateText);
    await page.goto(`${gw.httpUrl}/s/${siteCode}`);
    await page.locator('#tracking').fill(tracking.toUpperCase());
    await page.locator('#lookup button[type=submit]').click();
    expect(await page.locator('#state').textContent()).toBe('已受理');
    const json = (await (await fetch(`${gw.httpUrl}/public/complaints/${tracking}`, { headers: { accept: 'application/json' } })).json()) as object;
    expect(Object.keys(json).sort()).toEqual(['receivedOn', 'state', 'stateZh']);
  });
});

describe('an inspection visit on a phone', () => {
  let plan: string;
  let code: string;

  beforeAll(async () => {
    plan = (await gw.post('/api/inspections/plans', { title: '2026年12月 危化抽查', period: { from: '2026-12-01', to: '2026-12-31' }, departments: [EMB] })).body.id;
    await gw.post(`/api/inspections/plans/${plan}/draw`, undefined);
    await phone.grantPermissions(['geolocation'], { origin: gw.httpUrl });
    await phone.setGeolocation({ latitude: 30.5928, longitude: 114.3055, accuracy: 8 });
  });

  it('tells an inspector not drawn for the site that there is no check-in', async () => {
    const other = await phone.newPage();
    await signIn(other, tokens['insp-h9']!);
    await other.goto(`${gw.httpUrl}/#/scan/${siteCode}`);
    await other.getByText('您未被抽中检查该企业').waitFor();
    expect(await other.locator('#check-in').count()).toBe(0);
    await other.close();
  });

  it('checks the drawn inspector in from the code on the site page', async () => {
    await signIn(page, tokens['insp-e1']!);
    await page.goto(`${gw.httpUrl}/s/${siteCode}`);
    await page.locator('#inspector-check-in').click();
    await page.locator('#check-in').click();
    await page.locator('#checked-in').waitFor();
    const steps = (await gw.api(`/api/inspections/plans/${plan}/steps`)).body.visits.find((v: any) => v.site === 'chem-key');
    expect(steps.checkIns[0]).toMatchObject({ inspector: 'insp-e1', location: { latitude: 30.5928, longitude: 114.3055 } });
    await page.screenshot({ path: join(SHOTS, 'scancode-04-checked-in.png'), fullPage: true });
  });

  it('records the items with a picture and shows the one-time code at the end', async () => {
    await page.locator('#picture').setInputFiles({ name: 'tank.jpg', mimeType: 'image/jpeg', buffer: makeJpeg(4) });
    await expect.poll(() => page.locator('#uploaded').textContent()).toContain('1');
    await page.locator('#finish').click();
    await page.locator('#confirm-code').waitFor();
    code = (await page.locator('#confirm-code').textContent())!.trim();
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
    const records = (await gw.api(`/api/inspections/plans/${plan}`)).body.records.filter((r: any) => r.site === 'chem-key');
    expect(records.length).toBeGreaterThan(0);
    expect(records[0].pictures).toHaveLength(1);
    await page.screenshot({ path: join(SHOTS, 'scancode-05-code.png'), fullPage: true });
  });

  it('is confirmed and rated by the enterprise on the public page, once', async () => {
    const enterprise = await phone.newPage();
    await enterprise.goto(`${gw.httpUrl}/s/${siteCode}`);
    await enterprise.locator('#code').fill(code);
    await enterprise.locator('input[name=rating][value="5"]').check();
    await enterprise.locator('#confirm button[type=submit]').click();
    await enterprise.getByText('已确认检查').first().waitFor();
    await enterprise.goto(`${gw.httpUrl}/s/${siteCode}`);
    expect(await enterprise.locator('main').textContent()).toContain('企业已确认');
    await enterprise.locator('#code').fill(code);
    await enterprise.locator('input[name=rating][value="1"]').check();
    await enterprise.locator('#confirm button[type=submit]').click();
    await enterprise.getByText('未能提交').first().waitFor();
    await enterprise.close();
  });
});

describe('the poster', () => {
  it('shows the site, its credit code and a QR of its page, printable on A4', async () => {
    const desk = await phone.newPage();
    await signIn(desk, (await gw.post('/api/users', { name: 'sup-li', role: 'supervisor' })).body.token);
    await desk.goto(`${gw.httpUrl}/#/sites/chem-key/poster`);
    await desk.locator('#poster svg').waitFor();
    expect(await desk.locator('#poster').getAttribute('data-url')).toBe(`${gw.httpUrl}/s/${siteCode}`);
    expect(await desk.locator('#poster').textContent()).toContain('重点危化储罐区');
    expect(await desk.locator('main').textContent()).not.toContain('null');
    const [download] = await Promise.all([desk.waitForEvent('download'), desk.locator('#poster-png').click()]);
    expect(download.suggestedFilename()).toBe('qr-chem-key.png');
    const png = PNG.sync.read(readFileSync((await download.path())!));
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(`${gw.httpUrl}/s/${siteCode}`);
    await desk.emulateMedia({ media: 'print' });
    expect(await desk.locator('header.top').isVisible()).toBe(false);
    await desk.screenshot({ path: join(SHOTS, 'scancode-06-poster-print.png'), fullPage: true });
    await desk.close();
  });

  it('left no script error', () => {
    expect(problems).toEqual([]);
  });
});
