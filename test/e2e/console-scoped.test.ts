// The console of a viewer scoped to one site, in a real Chromium against a real gateway: its
// event stream resumes with the sealed id the gateway sent (never a number), a refused id
// makes it start again from now instead of retrying for ever, and its audit trail shows without
// the chain positions it is not given (issue 20, finding 14).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, publishTelemetry } from '../helpers/events.js';
import { collectPageProblems, launchChromium } from '../helpers/chromium.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let context: BrowserContext;
let page: Page;
let profile: string;
let token: string;
/** The event raised live in the first test. */
let first: string;
const problems: string[] = [];
/** The headers and answers of every stream request the page made. */
const streams: Array<{ headers: Record<string, string>; status?: number }> = [];

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'console-scoped-chromium-'));
  const [gateway, browser] = await Promise.all([startTestGateway({ INFLUX_URL: '', GATEWAY_OVERDUE_CRITICAL: 'off' }), launchChromium(profile)]);
  gw = gateway;
  context = browser;
  token = await createUser(gw, 'chem-viewer', 'viewer', ['hb-chem-001']);
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  const entries = new Map<object, { headers: Record<string, string>; status?: number }>();
  page.on('request', (r) => {
    if (!r.url().endsWith('/api/events/stream')) return;
    const entry = { headers: r.headers() };
    entries.set(r, entry);
    streams.push(entry);
  });
  page.on('response', (r) => {
    const entry = entries.get(r.request());
    if (entry) entry.status = r.status();
  });
  collectPageProblems(page, problems);
});

afterAll(async () => {
  await context?.close();
  await gw?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const inPage = <T>(expression: string) => page.evaluate(expression) as Promise<T>;
const raise = async (device: string, metrics: Record<string, number>) => (await publishTelemetry(gw, device, metrics)).find((a) => a.transition.type === 'raised')!.event.id;

describe('console of a viewer of one site', () => {
  it('signs in and shows an event of its site arriving live', async () => {
    await page.goto(`${gw.httpUrl}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#live[data-status="live"]').waitFor();
    first = await raise('gas-01', { gas_lel: 60 });
    await page.locator(`tr[data-event-id="${first}"]`).waitFor();
  });

  it('resumes after a drop with the sealed id it was sent, and shows what was raised meanwhile', async () => {
    const before = streams.length;
    gw.gateway.api.server.closeAllConnections();
    await page.locator('#live[data-status="reconnecting"]').waitFor();
    const id = await raise('gas-02', { toxic_ppm: 40 });
    await page.locator(`tr[data-event-id="${id}"]`).waitFor();
    await page.locator('#live[data-status="live"]').waitFor();
    const resumed = streams.slice(before);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    const sent = resumed[0]!.headers['last-event-id'];
    expect(sent).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sent).not.toMatch(/^\d+$/);
    expect(resumed.every((s) => s.status === 200)).toBe(true);
  });

  it('starts again from now when the gateway refuses its last event id', async () => {
    const got = await inPage<{ statuses: string[]; events: number }>(`(async () => {
      const { openEventStream } = await import('/console/js/sse.js');
      const statuses = [];
      let events = 0;
      const s = openEventStream({ url: '/api/events/stream', token: ${JSON.stringify(token)}, lastEventId: '12', onEvent: () => events++, onStatus: (x) => statuses.push(x) });
      const deadline = Date.now() + 8000;
      while (!statuses.includes('live') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      s.stop();
      return { statuses, events };
    })()`);
    expect(got.statuses).toEqual(['connecting', 'reconnecting', 'live']);
    const numeric = streams.filter((s) => s.headers['last-event-id'] === '12');
    expect(numeric.map((s) => s.status)).toEqual([400]);
  });

  it('shows the audit trail of an event without chain positions', async () => {
    await page.goto(`${gw.httpUrl}/#/events/${first}`);
    const rows = page.locator('#audit tbody tr');
    await rows.first().waitFor();
    expect(await page.locator('#audit thead th').count()).toBe(4);
    expect(await page.locator('#audit').textContent()).not.toContain('undefined');
    expect(problems).toEqual([]);
  });
});
