// The OpenAPI document is the contract: generated from the routes' zod schemas, public, and
// true. Every operation it lists is called for real on a running gateway (real MQTT devices,
// a real HJ 212 logger over TCP, real influxd, real HTTP) with a request that succeeds, and
// every answer is checked against the document with a JSON Schema 2020-12 validator. A route
// without a success response schema, a route added without a successful call here, or an
// answer the document does not describe fails the test and is named in the failure.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocalTime, formatPacket, frame } from '../../gateway/src/hj212/index.js';
import { createUser, publishTelemetry } from '../helpers/events.js';
import { eventually, startTestGateway, TEST_TOKEN, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { ackFor, TestLogger } from '../helpers/hj212-logger.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { makeJpeg } from '../helpers/pictures.js';
import { createInspectors } from '../helpers/supervision.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** What the steps made so far: ids, tokens, hashes. */
type Made = Record<string, string>;
interface Step {
  /** The documented operation this call exercises, as "METHOD /path/{param}". */
  op: string;
  method?: string;
  path: string;
  body?: unknown;
  /** A non-JSON body (a picture's bytes) with its content type, instead of `body`. */
  bytes?: { type: string; data: Buffer };
  /** Whose token (a key of `made`); the admin's when absent. */
  as?: string;
  /** The status this call must give. */
  status: number;
  /** Waits for what the call needs (e.g. a backtest to finish) before it is made. */
  before?: (made: Made) => Promise<void>;
  /** Keeps what the answer made for later steps. */
  keep?: (body: Json, made: Made) => void;
}

const EMB = 'Emergency Management Bureau';
const MN = 'MNOA0001';
// The test registry, with what the inspection, referral and HJ 212 routes need to succeed:
// a key-supervision site of a department, and a data logger.
const registry = {
  sites: [
    { ...testRegistry.sites[0]!, keySupervision: true, departments: [EMB] },
    ...testRegistry.sites.slice(1),
    { id: 'plant-01', name: 'Example wastewater plant', sector: 'pollution_source', devices: [{ id: 'cod-cmd', protocol: 'hj212', hj212: { mn: MN, password: `PW-${MN}`, crc: 'hj212' } }] },
  ],
};

let influx: TestInfluxd;
let gw: TestGateway;
let logger: TestLogger;
let doc: Json;
const made: Made = {};
const now = Date.now();

beforeAll(async () => {
  influx = await startTestInfluxd('gateway_openapi');
  // The example webhook's receiver is on loopback, which webhooks refuse unless allowed (SSRF).
  gw = await startTestGateway({ GATEWAY_WEBHOOK_ALLOW: '127.0.0.1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_HJ212_PORT: '0' }, registry);
  made.event = (await publishTelemetry(gw, 'gas-01', { gas_lel: 60 })).find((a) => a.transition.type === 'raised')!.event.id;
  made.toxic = (await publishTelemetry(gw, 'gas-02', { toxic_ppm: 12 })).find((a) => a.transition.type === 'raised')!.event.id;
  made.picture = await publishPicture(gw);
  expect(await gw.gateway.history.flush(20_000)).toBe(true);
  Object.assign(made, await createInspectors(gw, { 'insp-a': { departments: [EMB] }, 'insp-b': { departments: [EMB] } }));
  made.approver = await createUser(gw, 'sup-wang', 'supervisor');
  // A viewer of one site: its audit rows, cursors and transitions have the shapes without chain positions.
  made.chemViewer = await createUser(gw, 'chem-viewer', 'viewer', ['hb-chem-001']);
  // A logged-in data logger, so a downlink command is sent rather than refused with 409.
  logger = await TestLogger.open(gw.hj212Port!);
  const qn = formatLocalTime(Date.now(), 'Asia/Shanghai', true);
  logger.send(frame(formatPacket({ qn, st: '32', cn: '2011', pw: `PW-${MN}`, mn: MN, flag: { value: 5, ack: true, split: false, versionBits: 1, version: '2017' }, cp: `DataTime=${formatLocalTime(Date.now(), 'Asia/Shanghai')};w01018-Rtd=10` })));
  await logger.until(ackFor(qn));
  // A complaint through the site's code (public, not in the document), for GET /api/events/{id}/complaint.
  const siteCode = (await gw.api('/api/sites/hb-chem-001/code')).body.code;
  expect((await gw.post('/public/complaints', { siteCode, category: 'safety', description: '罐区有异味，疑似泄漏' }, null)).status).toBe(201);
  made.complaint = (await gw.api('/api/events?site=hb-chem-001&limit=50')).body.events.find((e: Json) => e.item === 'COMPLAINT').id;
  doc = (await gw.api('/api/openapi.json', { token: null })).body;
}, 60_000);

afterAll(async () => {
  logger?.close();
  await gw?.stop();
  await influx?.stop();
});

/** A camera detection with its picture; returns the picture's SHA-256 from the event's evidence. */
async function publishPicture(g: TestGateway): Promise<string> {
  const seen: string[] = [];
  const off = g.gateway.onTransition((a) => a.event.device === 'cam-01' && a.transition.type === 'raised' && seen.push(a.event.id));
  const client = await g.connect('cam-01');
  const payload = { camera: 'cam-01', detections: [{ type: 'intrusion', confidence: 0.93 }], picture: { contentType: 'image/jpeg', data: makeJpeg(7).toString('base64') } };
  try {
    await client.publishAsync('sites/hb-chem-001/devices/cam-01/vision', JSON.stringify(payload), { qos: 1 });
  } finally {
    off();
    await client.endAsync();
  }
  return (await g.api(`/api/events/${seen[0]}`)).body.evidence[0].picture;
}

const backtestDone = async (m: Made) => {
  await eventually(async () => (await gw.api(`/api/rules/backtests/${m.backtest}`)).body.state === 'done', 60_000, 'the backtest to finish');
};

/**
 * One successful call of every documented operation, in an order where each call finds what
 * it needs (creations before their uses, the event acted on before it is closed), and a few
 * refusals whose error answers are checked too. Paths are built from what earlier steps made.
 */
function steps(m: Made): Array<() => Step> {
  const ev = () => `/api/events/${m.event}`;
  const plan = () => `/api/inspections/plans/${m.plan}`;
  return [
    () => ({ op: 'GET /healthz', path: '/healthz', status: 200 }),
    () => ({ op: 'GET /readyz', path: '/readyz', status: 200 }),
    () => ({ op: 'GET /metrics', path: '/metrics', status: 200 }),
    () => ({ op: 'GET /api/sites', path: '/api/sites', status: 200 }),
    () => ({ op: 'POST /api/registry/reload', method: 'POST', path: '/api/registry/reload', status: 200 }),
    () => ({ op: 'GET /api/events/stream', path: '/api/events/stream', status: 200 }),
    () => ({ op: 'GET /api/events/export', path: '/api/events/export?format=csv', status: 200 }),
    () => ({ op: 'GET /api/events', path: '/api/events?state=active&order=priority&limit=5', status: 200 }),
    () => ({ op: 'GET /api/events', path: '/api/events?cursor=not-a-cursor', status: 400 }),
    () => ({ op: 'GET /api/events/summary', path: '/api/events/summary?site=hb-chem-001', status: 200 }),
    () => ({ op: 'GET /api/events/{id}', path: ev(), status: 200 }),
    () => ({ op: 'GET /api/events/{id}', path: '/api/events/no-such-event', status: 400 }),
    () => ({ op: 'POST /api/events/{id}/refer', method: 'POST', path: `/api/events/${m.toxic}/refer`, body: { department: EMB, note: 'for the county office' }, status: 200 }),
    () => ({ op: 'POST /api/events/{id}/acknowledge', method: 'POST', path: `${ev()}/acknowledge`, body: { note: 'seen' }, status: 200 }),
    () => ({ op: 'POST /api/events/{id}/comments', method: 'POST', path: `${ev()}/comments`, body: { note: 'crew on the way' }, status: 200 }),
    () => ({ op: 'POST /api/events/{id}/resolve', method: 'POST', path: `${ev()}/resolve`, body: { note: 'valve closed' }, status: 200 }),
    () => ({ op: 'POST /api/events/{id}/close', method: 'POST', path: `${ev()}/close`, body: { disposition: 'rectified', note: 'gasket replaced' }, status: 200 }),
    () => ({ op: 'POST /api/events/{id}/close', method: 'POST', path: `${ev()}/close`, body: { disposition: 'rectified', note: 'again' }, status: 409 }),
    () => ({ op: 'GET /api/readings', path: '/api/readings?site=hb-chem-001&metric=gas_lel', status: 200 }),
    () => ({ op: 'GET /api/audit', path: `/api/audit?event=${m.event}`, status: 200 }),
    () => ({ op: 'GET /api/audit', path: '/api/audit?limit=1', as: 'chemViewer', status: 200, keep: (b, k) => (k.auditCursor = b.nextCursor) }),
    () => ({ op: 'GET /api/audit', path: `/api/audit?limit=1&cursor=${m.auditCursor}`, as: 'chemViewer', status: 200 }),
    () => ({ op: 'GET /api/audit', path: `/api/audit?limit=1&cursor=x${m.auditCursor}`, as: 'chemViewer', status: 400 }),
    () => ({ op: 'GET /api/events/{id}', path: ev(), as: 'chemViewer', status: 200 }),
    () => ({ op: 'GET /api/audit/verify', path: '/api/audit/verify', status: 200 }),
    () => ({ op: 'GET /api/maintenance', path: '/api/maintenance', status: 200 }),
    () => ({ op: 'POST /api/maintenance', method: 'POST', path: '/api/maintenance', body: { site: 'mine-007', start: now + 3_600_000, end: now + 7_200_000, reason: 'calibration' }, status: 201, keep: (b, k) => (k.window = b.id) }),
    () => ({ op: 'PATCH /api/maintenance/{id}', method: 'PATCH', path: `/api/maintenance/${m.window}`, body: { reason: 'calibration of ch4-01' }, status: 200 }),
    () => ({ op: 'POST /api/maintenance/{id}/end', method: 'POST', path: `/api/maintenance/${m.window}/end`, status: 200 }),
    () => ({ op: 'GET /api/webhooks', path: '/api/webhooks', status: 200 }),
    () => ({ op: 'POST /api/webhooks', method: 'POST', path: '/api/webhooks', body: { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen+' }, status: 201, keep: (b, k) => (k.webhook = b.id) }),
    () => ({ op: 'GET /api/webhooks/{id}/deliveries', path: `/api/webhooks/${m.webhook}/deliveries`, status: 200 }),
    () => ({ op: 'DELETE /api/webhooks/{id}', method: 'DELETE', path: `/api/webhooks/${m.webhook}`, status: 200 }),
    () => ({ op: 'GET /api/users', path: '/api/users', status: 200 }),
    () => ({ op: 'POST /api/users', method: 'POST', path: '/api/users', body: { name: 'zhang.wei', role: 'viewer', sites: ['*'] }, status: 201, keep: (b, k) => (k.user = b.user.id) }),
    () => ({ op: 'DELETE /api/users/{id}', method: 'DELETE', path: `/api/users/${m.user}`, status: 200 }),
    () => ({ op: 'GET /api/me', path: '/api/me', status: 200 }),
    () => ({ op: 'GET /api/me', path: '/api/me', as: 'nobody', status: 401 }),
    () => ({ op: 'GET /api/rules', path: '/api/rules', status: 200 }),
    () => ({ op: 'POST /api/rules/reload', method: 'POST', path: '/api/rules/reload', status: 200 }),
    () => ({ op: 'GET /api/metrics', path: '/api/metrics', status: 200 }),
    () => ({ op: 'GET /api/levels', path: '/api/levels?site=hb-chem-001&device=gas-01&metric=gas_lel', status: 200 }),
    () => ({ op: 'GET /api/alarm-quality', path: '/api/alarm-quality', status: 200 }),
    () => ({ op: 'GET /api/evidence/{sha256}', path: `/api/evidence/${m.picture}`, status: 200 }),
    () => ({ op: 'GET /api/evidence/{sha256}', path: `/api/evidence/${'0'.repeat(64)}`, status: 404 }),
    () => ({ op: 'GET /api/profiles', path: '/api/profiles', status: 200 }),
    () => ({ op: 'GET /api/sites/{id}/profile', path: '/api/sites/hb-chem-001/profile', status: 200 }),
    () => ({ op: 'PUT /api/sites/{id}/profile', method: 'PUT', path: '/api/sites/hb-chem-001/profile', body: { creditGrade: 'B', note: '2026-11 reassessment' }, status: 200 }),
    () => ({ op: 'PUT /api/sites/{id}/profile', method: 'PUT', path: '/api/sites/hb-chem-001/profile', body: {}, status: 400 }),
    () => ({ op: 'GET /api/risk', path: '/api/risk', status: 200 }),
    () => ({ op: 'GET /api/sites/{id}/risk', path: '/api/sites/hb-chem-001/risk', status: 200 }),
    () => ({ op: 'PUT /api/inspectors/{name}/conflicts', method: 'PUT', path: '/api/inspectors/insp-a/conflicts', body: { sites: ['mine-007'], note: 'a relative works there' }, status: 200 }),
    () => ({ op: 'POST /api/inspections/plans', method: 'POST', path: '/api/inspections/plans', body: { title: '2026年12月 危化抽查', period: { from: '2026-12-01', to: '2026-12-31' }, departments: [EMB] }, status: 201, keep: (b, k) => (k.plan = b.id) }),
    () => ({ op: 'POST /api/inspections/plans', method: 'POST', path: '/api/inspections/plans', body: { title: '' }, status: 400 }),
    () => ({ op: 'GET /api/inspections/plans', path: '/api/inspections/plans', status: 200 }),
    () => ({ op: 'POST /api/inspections/plans/{id}/draw', method: 'POST', path: `${plan()}/draw`, status: 200, keep: (b, k) => (k.inspector = b.draw.visits.find((v: Json) => v.site === 'hb-chem-001').inspectors[0]) }),
    () => ({ op: 'GET /api/inspections/plans/{id}', path: plan(), status: 200 }),
    () => ({
      op: 'POST /api/inspections/plans/{id}/visits/{site}/records',
      method: 'POST',
      path: `${plan()}/visits/hb-chem-001/records`,
      as: m.inspector,
      body: { startedAt: now - 3_600_000, endedAt: now, items: [{ item: 'HC-01', outcome: 'compliant' }, { item: 'HC-02', outcome: 'rectification_ordered', deadline: now + 86_400_000, note: '2号探头校准过期' }] },
      status: 201,
    }),
    // Issue 17: site code and QR, check-in, pictures, the rest of the items, finish.
    () => ({ op: 'GET /api/sites/{id}/code', path: '/api/sites/hb-chem-001/code', status: 200, keep: (b, k) => (k.siteCode = b.code) }),
    () => ({ op: 'GET /api/sites/{id}/qr.svg', path: '/api/sites/hb-chem-001/qr.svg', status: 200 }),
    () => ({ op: 'GET /api/sites/{id}/qr.png', path: '/api/sites/hb-chem-001/qr.png?size=256', status: 200 }),
    () => ({ op: 'POST /api/sites/{id}/code/rotate', method: 'POST', path: '/api/sites/hb-chem-001/code/rotate', body: { note: 'poster reprinted' }, status: 200, keep: (b, k) => (k.siteCode = b.code) }),
    () => ({ op: 'GET /api/site-codes/{code}', path: `/api/site-codes/${m.siteCode}`, status: 200 }),
    () => ({ op: 'GET /api/site-codes/{code}', path: `/api/site-codes/${'a'.repeat(32)}`, status: 404 }),
    () => ({ op: 'GET /api/events/{id}/complaint', path: `/api/events/${m.complaint}/complaint`, status: 200 }),
    () => ({ op: 'GET /api/inspections/visits/mine', path: '/api/inspections/visits/mine', as: m.inspector, status: 200, keep: (b, k) => (k.items = JSON.stringify(b.visits.find((v: Json) => v.site === 'hb-chem-001').items)) }),
    () => ({ op: 'POST /api/inspections/plans/{id}/visits/{site}/check-in', method: 'POST', path: `${plan()}/visits/hb-chem-001/check-in`, as: m.inspector, body: { siteCode: m.siteCode, location: { latitude: 30.6, longitude: 114.3 } }, status: 201 }),
    () => ({ op: 'POST /api/inspections/plans/{id}/visits/{site}/pictures', method: 'POST', path: `${plan()}/visits/hb-chem-001/pictures`, as: m.inspector, bytes: { type: 'image/jpeg', data: makeJpeg(21) }, status: 201 }),
    () => ({
      op: 'POST /api/inspections/plans/{id}/visits/{site}/records',
      method: 'POST',
      path: `${plan()}/visits/hb-chem-001/records`,
      as: m.inspector,
      body: { endedAt: Date.now(), items: (JSON.parse(m.items ?? '[]') as string[]).filter((i) => i !== 'HC-01' && i !== 'HC-02').map((item) => ({ item, outcome: 'compliant' })) },
      status: 201,
    }),
    () => ({ op: 'POST /api/inspections/plans/{id}/visits/{site}/finish', method: 'POST', path: `${plan()}/visits/hb-chem-001/finish`, as: m.inspector, body: {}, status: 200 }),
    () => ({ op: 'GET /api/inspections/plans/{id}/steps', path: `${plan()}/steps`, status: 200 }),
    () => ({ op: 'POST /api/inspections/plans/{id}/visits/{site}/items/{item}/rectified', method: 'POST', path: `${plan()}/visits/hb-chem-001/items/HC-02/rectified`, as: m.inspector, body: { note: '探头已校准' }, status: 200 }),
    () => ({ op: 'POST /api/devices/{id}/hj212/commands', method: 'POST', path: '/api/devices/cod-cmd/hj212/commands', body: { command: 'time.read' }, status: 202, keep: (b, k) => (k.qn = b.qn) }),
    () => ({ op: 'GET /api/devices/{id}/hj212/commands/{qn}', path: `/api/devices/cod-cmd/hj212/commands/${m.qn}`, status: 200 }),
    () => ({ op: 'GET /api/hj212/factors', path: '/api/hj212/factors', status: 200 }),
    () => ({ op: 'POST /api/devices/{id}/commands', method: 'POST', path: '/api/devices/gas-01/commands', body: { name: 'read', ttl: 60 }, status: 202, keep: (b, k) => (k.command = b.id) }),
    () => ({ op: 'POST /api/devices/{id}/commands', method: 'POST', path: '/api/devices/gas-01/commands', body: { name: 'a/b' }, status: 400 }),
    () => ({ op: 'GET /api/devices/{id}/commands', path: '/api/devices/gas-01/commands?limit=10', status: 200 }),
    () => ({ op: 'GET /api/commands/{id}', path: `/api/commands/${m.command}`, status: 200 }),
    () => ({ op: 'GET /api/payload-profiles', path: '/api/payload-profiles', status: 200 }),
    () => ({ op: 'POST /api/payload-profiles/reload', method: 'POST', path: '/api/payload-profiles/reload', status: 200 }),
    () => ({ op: 'POST /api/rules/backtest', method: 'POST', path: '/api/rules/backtest', body: { from: now - 120_000, to: Date.now() + 1000 }, status: 202, keep: (b, k) => (k.backtest = b.id) }),
    () => ({ op: 'POST /api/rules/backtest', method: 'POST', path: '/api/rules/backtest', body: { from: now, to: now - 1000 }, status: 400 }),
    () => ({ op: 'GET /api/rules/backtests', path: '/api/rules/backtests', status: 200 }),
    () => ({ op: 'GET /api/rules/backtests/{id}', path: `/api/rules/backtests/${m.backtest}`, before: backtestDone, status: 200 }),
    () => ({ op: 'GET /api/rules/backtests/{id}', path: '/api/rules/backtests/bt-x-00000000', status: 404 }),
    () => ({ op: 'POST /api/rules/backtests/{id}/approve', method: 'POST', path: `/api/rules/backtests/${m.backtest}/approve`, as: 'approver', body: { note: 'no change expected' }, status: 200 }),
    () => ({ op: 'POST /api/rules/backtests/{id}/apply', method: 'POST', path: `/api/rules/backtests/${m.backtest}/apply`, status: 200 }),
  ];
}

/** The operations of the document in its order, as "METHOD /path/{param}". */
const operations = () => Object.entries(doc.paths as Json).flatMap(([path, ops]) => Object.keys(ops as Json).map((m) => `${m.toUpperCase()} ${path}`));

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1, readable without a token, and holds no data', async () => {
    const res = await fetch(`${gw.httpUrl}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const text = JSON.stringify(doc);
    for (const secret of ['Example Chemical Co.', made.event, 'gas-01-secret', 'test-token', MN]) expect(text).not.toContain(secret);
  });

  it('serves the browsable docs page and its files from this gateway, without a token or a CDN', async () => {
    const page = await fetch(`${gw.httpUrl}/api/docs/static/index.html`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"' ]+\.(js|css)/);
    const init = await fetch(`${gw.httpUrl}/api/docs/static/swagger-initializer.js`);
    expect(init.status).toBe(200);
    expect(await init.text()).toContain('/api/openapi.json');
    // Read to the end: a body left unread holds its connection open and the gateway's stop waits for it.
    const bundle = await fetch(`${gw.httpUrl}/api/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });

  it('still refuses the rest of /api without a token', async () => {
    expect((await gw.api('/api/events', { token: null })).status).toBe(401);
    expect((await gw.api('/api/docsx', { token: null })).status).toBe(401);
  });

  it('describes a success answer, the errors and the body of every operation', () => {
    const missing: string[] = [];
    for (const op of operations()) {
      const [method, path] = op.split(' ') as [string, string];
      const o = doc.paths[path][method.toLowerCase()];
      const success = Object.entries(o.responses as Json).filter(([s, r]) => /^2/.test(s) && Object.values((r as Json).content ?? {}).some((media) => (media as Json).schema));
      if (success.length === 0) missing.push(`${op}: no success response schema`);
      if (!o.responses.default?.content?.['application/json']?.schema) missing.push(`${op}: no error response schema`);
      if (['POST', 'PUT', 'PATCH'].includes(method) && !/reload|\/end$|\/draw$|\/apply$/.test(path) && !o.requestBody) missing.push(`${op}: no request body`);
    }
    expect(missing).toEqual([]);
  });

  it('matches what every route really answers, and every operation answers a success at least once', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const ops = new Set(operations());
    const succeeded = new Set<string>();
    const failures: string[] = [];
    for (const next of steps(made)) {
      let step = next();
      if (step.before) {
        await step.before(made);
        step = next();
      }
      if (!ops.has(step.op)) {
        failures.push(`${step.op}: called by this test but not in the document (renamed or removed? fix the step)`);
        continue;
      }
      const token = step.as ? (made[step.as] ?? 'not-a-token-of-this-gateway') : TEST_TOKEN;
      const res = await fetch(`${gw.httpUrl}${step.path}`, {
        method: step.method ?? 'GET',
        headers: { authorization: `Bearer ${token}`, ...(step.bytes ? { 'content-type': step.bytes.type } : step.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: step.bytes ? step.bytes.data : step.body === undefined ? undefined : JSON.stringify(step.body),
        signal: AbortSignal.timeout(10_000),
      });
      const [method, path] = step.op.split(' ') as [string, string];
      const responses = doc.paths[path][method.toLowerCase()].responses as Json;
      const described = responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`] ?? responses.default;
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
      const media = described?.content?.[type];
      if (res.status !== step.status) {
        failures.push(`${step.op} ${step.path}: HTTP ${res.status}, expected ${step.status}: ${(await res.text()).slice(0, 300)}`);
        continue;
      }
      if (!media?.schema) {
        failures.push(`${step.op}: HTTP ${res.status} ${type} is not in the document`);
        await res.body?.cancel();
        continue;
      }
      if (res.ok) succeeded.add(step.op);
      if (type !== 'application/json') {
        await res.body?.cancel();
        continue;
      }
      const body = (await res.json()) as Json;
      if (!ajv.validate(media.schema, body)) failures.push(`${step.op}: HTTP ${res.status} does not match the document: ${ajv.errorsText(ajv.errors)}`);
      step.keep?.(body, made);
    }
    // A route added without a successful call here is named, so nobody can add one unchecked.
    for (const op of ops) if (!succeeded.has(op)) failures.push(`${op}: no successful call in this test (add a step)`);
    expect(failures).toEqual([]);
    expect(ops.size).toBeGreaterThan(55);
  }, 120_000);
});
