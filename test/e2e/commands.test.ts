// The console's command panel in a real Chromium against a real gateway and a real MQTT
// device: a supervisor sends a camera a snapshot command from the device's page and watches it
// go from queued to delivered to replied, with the picture the camera sent; the panel speaks
// Chinese after the language switch.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, collectPageProblems } from '../helpers/chromium.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { createHash } from 'node:crypto';
import { makeJpeg } from '../helpers/pictures.js';

const SHOTS = resolve('test/e2e/screenshots');
let gw: TestGateway;
let context: BrowserContext;
let page: Page;
let profile: string;
let camera: MqttClient;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'commands-e2e-chromium-'));
  context = await launchChromium(profile);
  gw = await startTestGateway();
  // The camera answers a snapshot: a frame with a picture on its vision channel, then the reply naming it.
  camera = await gw.connect('cam-01');
  await camera.subscribeAsync('sites/hb-chem-001/devices/cam-01/commands/#', { qos: 1 });
  camera.on('message', (_topic, payload) => {
    const cmd = JSON.parse(payload.toString());
    const jpg = makeJpeg(7, 160, 120);
    const base64 = jpg.toString('base64');
    const sha256 = createHash('sha256').update(jpg).digest('hex');
    setTimeout(async () => {
      await camera.publishAsync('sites/hb-chem-001/devices/cam-01/vision', JSON.stringify({ camera: 'cam-01', detections: [], picture: { contentType: 'image/jpeg', data: base64 } }), { qos: 1 });
      await camera.publishAsync(`sites/hb-chem-001/devices/cam-01/replies/${cmd.id}`, JSON.stringify({ status: 'ok', result: { picture: sha256 } }), { qos: 1 });
    }, 1500);
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  collectPageProblems(page, problems);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await gw?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the command panel', () => {
  it("sends a camera a snapshot from its page and shows the command's life up to the reply and its picture", async () => {
    await page.goto(`${gw.httpUrl}/`);
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('admin (admin)').waitFor();
    await page.goto(`${gw.httpUrl}/#/sites/hb-chem-001`);
    await page.locator('tr[data-device="cam-01"] a', { hasText: 'Commands' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Device commands: cam-01');
    await expect.poll(() => page.getByLabel('Command').inputValue()).toBe('snapshot');
    await page.getByRole('button', { name: 'Send' }).click();
    const row = page.locator('tr[data-command]').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('replied');
    const steps = await row.locator('[data-label="Steps"] [data-command-state]').evaluateAll((els) => els.map((e) => e.getAttribute('data-command-state')));
    expect(steps).toEqual(['queued', 'delivered', 'replied']);
    const canvas = row.locator('canvas[data-picture]');
    await expect.poll(() => canvas.evaluate((c) => (c as unknown as { width: number }).width), { timeout: 10_000 }).toBeGreaterThan(1);
    const api = (await gw.api('/api/devices/cam-01/commands')).body.commands[0];
    expect(api).toMatchObject({ name: 'snapshot', state: 'replied', by: 'admin' });
    await page.screenshot({ path: join(SHOTS, 'commands-01-replied.png'), fullPage: true });
    await page.locator('#lang').selectOption('zh-CN');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('设备命令：cam-01');
    expect(await row.locator('[data-label="状态"]').textContent()).toContain('已答复');
    await page.screenshot({ path: join(SHOTS, 'commands-02-zh.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
