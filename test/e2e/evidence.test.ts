// The event page in a real Chromium shows the evidence picture with the detection box drawn
// over it, fetched with the signed-in token, with no CSP complaint.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenePicture } from '../../device-sim/src/index.js';
import { launchChromium, collectPageProblems } from '../helpers/chromium.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';

const SHOTS = resolve('test/e2e/screenshots');

let gw: TestGateway;
let context: BrowserContext;
let page: Page;
let profile: string;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'evidence-e2e-chromium-'));
  context = await launchChromium(profile);
  gw = await startTestGateway({ GATEWAY_OVERDUE_MAJOR: 'off' });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  collectPageProblems(page, problems);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await gw?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the evidence picture on the event page', () => {
  it('draws the picture with the detection box over it', async () => {
    const box: [number, number, number, number] = [100, 60, 80, 120];
    const jpg = scenePicture({ box, seed: 3 });
    const sha = createHash('sha256').update(jpg).digest('hex');
    let id = '';
    const off = gw.gateway.onTransition((a) => a.transition.type === 'raised' && a.event.device === 'cam-01' && (id = a.event.id));
    const client = await gw.connect('cam-01');
    await client.publishAsync('sites/hb-chem-001/devices/cam-01/vision', JSON.stringify({ camera: 'dock-2', detections: [{ type: 'intrusion', confidence: 0.88, bbox: box }], picture: { contentType: 'image/jpeg', data: jpg.toString('base64') } }), { qos: 1 });
    await client.endAsync();
    off();
    expect(id).not.toBe('');

    await page.goto(`${gw.httpUrl}/`);
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Event wall' }).waitFor();
    await page.goto(`${gw.httpUrl}/#/events/${id}`);
    await page.getByRole('heading', { name: 'Evidence pictures' }).waitFor();
    const canvas = page.locator(`canvas[data-picture="${sha}"]`);
    await expect.poll(() => canvas.evaluate((c) => (c as unknown as { width: number }).width)).toBe(320);
    // The box's left edge is drawn in the box colour; the middle of the floor is not.
    const [edge, floor] = await canvas.evaluate(
      (c, b) => {
        const g = (c as unknown as { getContext(k: string): { getImageData(x: number, y: number, w: number, h: number): { data: number[] } } }).getContext('2d');
        const px = (x: number, y: number) => Array.from(g.getImageData(x, y, 1, 1).data).slice(0, 3);
        return [px(b[0], b[1] + b[3] / 2), px(20, 220)];
      },
      box,
    );
    expect(edge).toEqual([255, 45, 45]);
    expect(floor[0]).toBeLessThan(200);
    await page.screenshot({ path: join(SHOTS, 'evidence-picture.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
