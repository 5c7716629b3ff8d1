// Scenario console: is the event wall responsive during a burst? Debian's Chromium shows the
// wall (zh-CN, 1440x900, newest first) of the compiled gateway holding 1,000 open events raised
// over real MQTT; a PerformanceObserver collects the page's long tasks (main thread busy > 50 ms) in three
// phases of the same run:
//   idle     the page with nothing arriving (what the machine's noise alone gives)
//   patch    a burst of 300 critical events in 10 s, the wall as shipped (one row patched per event)
//   redraw   the same burst on a fresh page laid out as the old wall (a plain table, no grid
//            rows, no content-visibility) where each insertion also lays out a new copy of every
//            row (the pre-issue-15 strategy, as a baseline; a DOM copy is cheaper than the old
//            renderer, which also built and formatted every row in JS)
//   synthetic a blank page doing 8 ms of JavaScript per event at the burst's pace during a third
//            burst: what the machine's load alone makes of short tasks
// Target (issue 15): no task over 100 ms per update.
import { loadavg } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { ADMIN_TOKEN, startGatewayChild, type BenchOptions, type Fleet } from './common.js';
import type { BenchDevice } from './load-gen.js';
import { sleep } from './proc.js';

const SEEDED = 1000;
const BURST = 300;
const BURST_MS = 10_000;
const IDLE_MS = 10_000;

export interface ConsolePhase {
  phase: 'idle' | 'patch' | 'redraw' | 'synthetic';
  /** Events that arrived during the phase, and rows on the wall at its end. */
  events: number;
  rows: number;
  longTasks: number;
  over100: number;
  longestMs: number;
  /** Main-thread time in long tasks over the phase's wall time. */
  blockedShare: number;
  durationMs: number;
  loadAverage: number;
  /** Renderer main-thread time by kind over the phase (Chromium's Performance.getMetrics). */
  scriptMs?: number;
  layoutMs?: number;
  styleMs?: number;
  taskMs?: number;
}
export interface ConsoleBenchResult {
  seeded: number;
  burst: number;
  burstMs: number;
  phases: ConsolePhase[];
}

/** Publishes one QoS 1 reading per device, `parallel` devices at a time, each on its own connection. */
async function raiseFrom(mqttUrl: string, devices: BenchDevice[], lel: (i: number) => number, parallel = 25): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < devices.length) {
      const i = next++;
      const d = devices[i]!;
      const c = await connectDevice(mqttUrl, d);
      await c.publishAsync(`sites/${d.site}/devices/${d.id}/telemetry`, JSON.stringify({ metrics: { gas_lel: lel(i) } }), { qos: 1 });
      await c.endAsync();
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

function connectDevice(mqttUrl: string, d: BenchDevice): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(mqttUrl, { clientId: d.id, username: d.id, password: d.secret, reconnectPeriod: 0, connectTimeout: 10_000 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** 300 critical leaks (60 %LEL) over BURST_MS from pre-connected devices, evenly spaced. */
async function burst(mqttUrl: string, devices: BenchDevice[]): Promise<void> {
  const clients = await Promise.all(devices.map((d) => connectDevice(mqttUrl, d)));
  const started = Date.now();
  const acks: Promise<unknown>[] = [];
  for (let i = 0; i < clients.length; i++) {
    const due = started + (i * BURST_MS) / clients.length;
    if (due > Date.now()) await sleep(due - Date.now());
    const d = devices[i]!;
    acks.push(clients[i]!.publishAsync(`sites/${d.site}/devices/${d.id}/telemetry`, JSON.stringify({ metrics: { gas_lel: 60 } }), { qos: 1 }));
  }
  await Promise.all(acks);
  await Promise.all(clients.map((c) => c.endAsync()));
}

async function openWall(browser: Browser, httpUrl: string, log: (line: string) => void): Promise<Page> {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => log(`  console: page error: ${err.message}`));
  page.on('console', (m) => m.type() === 'error' && log(`  console: page console: ${m.text()}`));
  await page.goto(`${httpUrl}/`);
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.locator('form.signin button[type=submit]').click();
  await page.locator('#live[data-status="live"]').waitFor();
  await page.locator('table.events tbody tr').first().waitFor();
  // Newest first: every event of a burst lands among the loaded rows (in the priority order a
  // critical newer than the loaded criticals would wait for its page).
  await page.locator('#f-order').selectOption('newest');
  await page.locator('table.events tbody tr').first().waitFor();
  // Let the first page and the counts settle before measuring.
  await sleep(2000);
  return page;
}

// Page scripts as text: this project compiles without the DOM library.
const OBSERVE = `(rebuild) => {
  window.__long = [];
  window.__t0 = performance.now();
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask', buffered: false });
  if (!rebuild) return;
  // The old page: the wall as a plain table (no grid rows, no content-visibility) ...
  const style = document.createElement('style');
  style.textContent = 'table.events { display: table !important; } table.events > thead { display: table-header-group !important; } table.events > tbody { display: table-row-group !important; } table.events > colgroup { display: table-column-group !important; } table.events tr { display: table-row !important; content-visibility: visible !important; } table.events td, table.events th { display: table-cell !important; }';
  document.head.append(style);
  // ... redrawn whole after every event.
  const table = document.querySelector('table.events');
  const mo = new MutationObserver(() => {
    mo.disconnect();
    // A full redraw: a new copy of every row, laid out (reading layout puts the cost in this
    // task), then the wall's own rows put back so its later patches still find them.
    for (const tb of [...table.tBodies]) {
      const copy = tb.cloneNode(true);
      tb.replaceWith(copy);
      void table.offsetHeight;
      copy.replaceWith(tb);
    }
    mo.observe(table, { childList: true, subtree: true });
  });
  mo.observe(table, { childList: true, subtree: true });
}`;
const COLLECT = `({ long: window.__long, ms: performance.now() - window.__t0, rows: document.querySelectorAll('table.events tbody tr').length })`;
const ROWS = `document.querySelectorAll('table.events tbody tr').length`;

/** Starts collecting long tasks; with `redraw`, also rebuilds every row after each insertion. */
const observe = (page: Page, redraw: boolean) => page.evaluate(`(${OBSERVE})(${redraw})`);

async function collect(page: Page, phase: ConsolePhase['phase'], events: number, load: number): Promise<ConsolePhase> {
  const r = (await page.evaluate(COLLECT)) as { long: number[]; ms: number; rows: number };
  const sum = r.long.reduce((a, b) => a + b, 0);
  return { phase, events, rows: r.rows, longTasks: r.long.length, over100: r.long.filter((d) => d > 100).length, longestMs: Math.round(Math.max(0, ...r.long)), blockedShare: sum / r.ms, durationMs: Math.round(r.ms), loadAverage: load };
}

const rowsOf = async (page: Page) => (await page.evaluate(ROWS)) as number;

async function untilRows(page: Page, n: number, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await rowsOf(page)) < n) {
    if (Date.now() > deadline) throw new Error(`the wall shows ${await rowsOf(page)} rows, expected ${n}`);
    await sleep(250);
  }
  // The counts are re-read at most once a second after the last change: include that work.
  await sleep(1500);
}

/** Chromium's own accounting of the renderer's main thread (CDP Performance.getMetrics), in ms; counting starts at the first call. */
async function rendererMeter(page: Page): Promise<() => Promise<Record<'script' | 'layout' | 'style' | 'task', number>>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = (name: string) => Math.round((metrics.find((x) => x.name === name)?.value ?? 0) * 1000);
    return { script: m('ScriptDuration'), layout: m('LayoutDuration'), style: m('RecalcStyleDuration'), task: m('TaskDuration') };
  };
}

/** One measured phase on `page`: long tasks and renderer time while `work` runs, until `done`. */
async function measure(page: Page, phase: ConsolePhase['phase'], events: number, work: () => Promise<void>, done: () => Promise<void>): Promise<ConsolePhase> {
  await observe(page, phase === 'redraw');
  const load = loadavg()[0]!;
  const read = await rendererMeter(page);
  const before = await read();
  await work();
  await done();
  const after = await read();
  const r = await collect(page, phase, events, load);
  return { ...r, scriptMs: after.script - before.script, layoutMs: after.layout - before.layout, styleMs: after.style - before.style, taskMs: after.task - before.task };
}

// The machine's share of the figure: a page that does a known 8 ms of JavaScript per event, at
// the burst's pace, while the gateway takes a burst. Its long tasks are what the load alone makes
// of 8 ms tasks.
const SYNTHETIC = `(() => {
  const t0 = performance.now();
  for (let i = 0; i < ${BURST}; i++) setTimeout(() => { const end = performance.now() + 8; while (performance.now() < end); }, (i * ${BURST_MS}) / ${BURST});
  window.__synthetic = new Promise((r) => setTimeout(r, ${BURST_MS} + 500));
})()`;

export async function runConsoleBench(o: BenchOptions, fleet: Fleet): Promise<ConsoleBenchResult> {
  const need = SEEDED + 3 * BURST;
  if (fleet.devices.length < need) throw new Error(`the console bench needs ${need} devices in the fleet`);
  const gw = await startGatewayChild(o, fleet, 'bench_console', {
    env: { GATEWAY_OVERDUE_CRITICAL: 'off', GATEWAY_OVERDUE_MAJOR: 'off', GATEWAY_OVERDUE_WARNING: 'off', GATEWAY_MAX_CLOCK_SKEW: '1h' },
  });
  const mqttUrl = `mqtt://127.0.0.1:${gw.mqttPort}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const phases: ConsolePhase[] = [];
  const devices = (n: number) => fleet.devices.slice(SEEDED + n * BURST, SEEDED + (n + 1) * BURST);
  try {
    await raiseFrom(mqttUrl, fleet.devices.slice(0, SEEDED), (i) => 26 + (i % 20));
    const open = (await gw.api('/api/events/summary?state=open')).body.total as number;
    if (open < SEEDED) throw new Error(`seeding raised ${open} open events, expected ${SEEDED}`);
    o.log(`  console: ${open} open events seeded; opening the wall in Chromium`);

    const page = await openWall(browser, gw.httpUrl, o.log);
    const shown = await rowsOf(page);
    phases.push(await measure(page, 'idle', 0, () => sleep(IDLE_MS), async () => undefined));
    phases.push(await measure(page, 'patch', BURST, () => burst(mqttUrl, devices(0)), () => untilRows(page, shown + BURST)));
    await page.context().close();

    const base = await openWall(browser, gw.httpUrl, o.log);
    const baseShown = await rowsOf(base);
    phases.push(await measure(base, 'redraw', BURST, () => burst(mqttUrl, devices(1)), () => untilRows(base, baseShown + BURST)));
    await base.context().close();

    const blank = await (await browser.newContext()).newPage();
    await blank.goto(`${gw.httpUrl}/healthz`);
    phases.push(
      await measure(
        blank,
        'synthetic',
        BURST,
        async () => {
          await blank.evaluate(SYNTHETIC);
          await burst(mqttUrl, devices(2));
        },
        () => blank.evaluate('window.__synthetic') as Promise<void>,
      ),
    );
    await blank.context().close();
    const total = (await gw.api('/api/events/summary?state=open')).body.total as number;
    if (total !== SEEDED + 3 * BURST) throw new Error(`the gateway holds ${total} open events, expected ${SEEDED + 3 * BURST}`);
  } finally {
    await browser.close().catch(() => undefined);
    await gw.stop();
  }
  return { seeded: SEEDED, burst: BURST, burstMs: BURST_MS, phases };
}
