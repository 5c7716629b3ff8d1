// The OpenAPI document is the contract: generated from the routes' zod schemas, public, and
// true. Every operation it lists is called for real on a running gateway (real MQTT device,
// real HTTP) and every answer is checked against the document with a JSON Schema 2020-12
// validator; a route added without an example here, or an answer the document does not
// describe, fails the test.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTelemetry } from '../helpers/events.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Call {
  method?: string;
  path: string;
  body?: unknown;
  /** Statuses this call must give: the success it exercises, or a refusal we can cause on purpose. */
  expect: number[];
}

let gw: TestGateway;
let doc: Json;
let eventId: string;
const now = Date.now();

beforeAll(async () => {
  // The example webhook's receiver is on loopback, which webhooks refuse unless allowed (SSRF).
  gw = await startTestGateway({ GATEWAY_WEBHOOK_ALLOW: '127.0.0.1' });
  eventId = (await publishTelemetry(gw, 'gas-01', { gas_lel: 60 })).find((a) => a.transition.type === 'raised')!.event.id;
  await publishTelemetry(gw, 'gas-02', { toxic_ppm: 12 });
  doc = (await gw.api('/api/openapi.json', { token: null })).body;
}, 30_000);

afterAll(async () => gw?.stop());

/** Examples per documented operation; ids made by earlier calls are filled in as they come. */
function examples(made: Record<string, string>): Record<string, Call> {
  const ev = `/api/events/${eventId}`;
  return {
    'GET /healthz': { path: '/healthz', expect: [200] },
    'GET /readyz': { path: '/readyz', expect: [200] },
    'GET /metrics': { path: '/metrics', expect: [200] },
    'GET /api/sites': { path: '/api/sites', expect: [200] },
    'POST /api/registry/reload': { method: 'POST', path: '/api/registry/reload', expect: [200] },
    'GET /api/events/stream': { path: '/api/events/stream', expect: [200] },
    'GET /api/events/export': { path: '/api/events/export?format=csv', expect: [200] },
    'GET /api/events': { path: '/api/events?state=active&order=priority&limit=5', expect: [200] },
    'GET /api/events/summary': { path: '/api/events/summary?site=hb-chem-001', expect: [200] },
    'GET /api/events/{id}': { path: ev, expect: [200] },
    'POST /api/events/{id}/acknowledge': { method: 'POST', path: `${ev}/acknowledge`, body: { note: 'seen' }, expect: [200] },
    'POST /api/events/{id}/comments': { method: 'POST', path: `${ev}/comments`, body: { note: 'crew on the way' }, expect: [200] },
    'POST /api/events/{id}/resolve': { method: 'POST', path: `${ev}/resolve`, body: { note: 'valve closed' }, expect: [200] },
    'POST /api/events/{id}/close': { method: 'POST', path: `${ev}/close`, body: { disposition: 'rectified', note: 'gasket replaced' }, expect: [200] },
    'GET /api/readings': { path: '/api/readings?site=hb-chem-001&metric=gas_lel', expect: [200] },
    'GET /api/audit': { path: `/api/audit?event=${eventId}`, expect: [200] },
    'GET /api/audit/verify': { path: '/api/audit/verify', expect: [200] },
    'GET /api/maintenance': { path: '/api/maintenance', expect: [200] },
    'POST /api/maintenance': { method: 'POST', path: '/api/maintenance', body: { site: 'mine-007', start: now + 3_600_000, end: now + 7_200_000, reason: 'calibration' }, expect: [201] },
    'PATCH /api/maintenance/{id}': { method: 'PATCH', path: `/api/maintenance/${made.window}`, body: { reason: 'calibration of ch4-01' }, expect: [200] },
    'POST /api/maintenance/{id}/end': { method: 'POST', path: `/api/maintenance/${made.window}/end`, expect: [200] },
    'GET /api/webhooks': { path: '/api/webhooks', expect: [200] },
    'POST /api/webhooks': { method: 'POST', path: '/api/webhooks', body: { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen+' }, expect: [201] },
    'GET /api/webhooks/{id}/deliveries': { path: `/api/webhooks/${made.webhook}/deliveries`, expect: [200] },
    'DELETE /api/webhooks/{id}': { method: 'DELETE', path: `/api/webhooks/${made.webhook}`, expect: [200] },
    'GET /api/users': { path: '/api/users', expect: [200] },
    'POST /api/users': { method: 'POST', path: '/api/users', body: { name: 'zhang.wei', role: 'viewer' }, expect: [201] },
    'DELETE /api/users/{id}': { method: 'DELETE', path: `/api/users/${made.user}`, expect: [200] },
    'GET /api/me': { path: '/api/me', expect: [200] },
    'GET /api/rules': { path: '/api/rules', expect: [200] },
    'POST /api/rules/reload': { method: 'POST', path: '/api/rules/reload', expect: [200] },
    'GET /api/metrics': { path: '/api/metrics', expect: [200] },
    'GET /api/levels': { path: '/api/levels?site=hb-chem-001&device=gas-01&metric=gas_lel', expect: [200] },
    'GET /api/alarm-quality': { path: '/api/alarm-quality', expect: [200] },
    'GET /api/evidence/{sha256}': { path: `/api/evidence/${'0'.repeat(64)}`, expect: [404] },
    'GET /api/profiles': { path: '/api/profiles', expect: [200] },
    'GET /api/sites/{id}/profile': { path: '/api/sites/hb-chem-001/profile', expect: [200] },
    'PUT /api/sites/{id}/profile': { method: 'PUT', path: '/api/sites/hb-chem-001/profile', body: {}, expect: [200, 400] },
    'GET /api/risk': { path: '/api/risk', expect: [200] },
    'GET /api/sites/{id}/risk': { path: '/api/sites/hb-chem-001/risk', expect: [200] },
    'POST /api/inspections/plans': { method: 'POST', path: '/api/inspections/plans', body: { title: '' }, expect: [400] },
    'GET /api/inspections/plans': { path: '/api/inspections/plans', expect: [200] },
    'GET /api/inspections/plans/{id}': { path: '/api/inspections/plans/nope', expect: [400, 404] },
    'POST /api/inspections/plans/{id}/draw': { method: 'POST', path: '/api/inspections/plans/nope/draw', expect: [400, 404] },
    'POST /api/inspections/plans/{id}/visits/{site}/records': { method: 'POST', path: '/api/inspections/plans/nope/visits/hb-chem-001/records', body: {}, expect: [400, 403, 404] },
    'POST /api/inspections/plans/{id}/visits/{site}/items/{item}/rectified': { method: 'POST', path: '/api/inspections/plans/nope/visits/hb-chem-001/items/HC-01/rectified', body: {}, expect: [400, 403, 404] },
    'PUT /api/inspectors/{name}/conflicts': { method: 'PUT', path: '/api/inspectors/nobody/conflicts', body: {}, expect: [400, 404] },
    'POST /api/events/{id}/refer': { method: 'POST', path: `${ev}/refer`, body: { department: 'Emergency Management Bureau', note: 'for the county office' }, expect: [200, 409] },
    'POST /api/devices/{id}/hj212/commands': { method: 'POST', path: '/api/devices/gas-01/hj212/commands', body: {}, expect: [400, 404, 409] },
    'GET /api/devices/{id}/hj212/commands/{qn}': { path: '/api/devices/gas-01/hj212/commands/20260101000000000', expect: [400, 404] },
    'POST /api/devices/{id}/commands': { method: 'POST', path: '/api/devices/gas-01/commands', body: { name: 'read', ttl: 60 }, expect: [202] },
    'GET /api/devices/{id}/commands': { path: '/api/devices/gas-01/commands?limit=10', expect: [200] },
    'GET /api/commands/{id}': { path: `/api/commands/${made.command ?? '00000000-0000-4000-8000-000000000000'}`, expect: [200] },
    'GET /api/payload-profiles': { path: '/api/payload-profiles', expect: [200] },
    'GET /api/hj212/factors': { path: '/api/hj212/factors', expect: [200] },
    'POST /api/payload-profiles/reload': { method: 'POST', path: '/api/payload-profiles/reload', expect: [200] },
    'POST /api/rules/backtest': { method: 'POST', path: '/api/rules/backtest', body: { from: now, to: now - 1000 }, expect: [400] },
    'GET /api/rules/backtests': { path: '/api/rules/backtests', expect: [200, 503] },
    'GET /api/rules/backtests/{id}': { path: '/api/rules/backtests/bt-x-00000000', expect: [404, 503] },
    'POST /api/rules/backtests/{id}/approve': { method: 'POST', path: '/api/rules/backtests/bt-x-00000000/approve', body: {}, expect: [404, 409, 503] },
    'POST /api/rules/backtests/{id}/apply': { method: 'POST', path: '/api/rules/backtests/bt-x-00000000/apply', expect: [404, 409, 503] },
  };
}

// Routes whose success answer has no response schema yet (added by other issues this round):
// the document describes only their errors. Listed so that no new one slips in unnoticed.
const NO_SUCCESS_SCHEMA = new Set([
  'POST /api/rules/backtest',
  'GET /api/rules/backtests',
  'GET /api/rules/backtests/{id}',
  'POST /api/rules/backtests/{id}/approve',
  'POST /api/rules/backtests/{id}/apply',
  'POST /api/payload-profiles/reload',
]);

/** The operations of the document in its order, as "METHOD /path/{param}". */
const operations = () => Object.entries(doc.paths as Json).flatMap(([path, ops]) => Object.keys(ops as Json).map((m) => `${m.toUpperCase()} ${path}`));

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1, readable without a token, and holds no data', async () => {
    const res = await fetch(`${gw.httpUrl}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const text = JSON.stringify(doc);
    for (const secret of ['Example Chemical Co.', eventId, 'gas-01-secret', 'test-token']) expect(text).not.toContain(secret);
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
    expect((await fetch(`${gw.httpUrl}/api/docs/static/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('still refuses the rest of /api without a token', async () => {
    expect((await gw.api('/api/events', { token: null })).status).toBe(401);
    expect((await gw.api('/api/docsx', { token: null })).status).toBe(401);
  });

  it('describes the request and the answers of every operation', () => {
    for (const op of operations()) {
      const [method, path] = op.split(' ') as [string, string];
      const o = doc.paths[path][method.toLowerCase()];
      const success = Object.keys(o.responses).filter((s) => /^2/.test(s));
      if (NO_SUCCESS_SCHEMA.has(op)) expect(success, `${op} now documents a success: take it off NO_SUCCESS_SCHEMA`).toEqual([]);
      else expect(success, `${op} documents a success`).not.toEqual([]);
      expect(o.responses.default?.content?.['application/json']?.schema, `${op} documents its errors`).toBeTruthy();
      if (['POST', 'PUT', 'PATCH'].includes(method) && !/reload|\/end$|\/draw$|\/apply$/.test(path)) expect(o.requestBody, `${op} documents its body`).toBeTruthy();
    }
  });

  it('matches what every route really answers', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const made: Record<string, string> = {};
    const failures: string[] = [];
    const ops = operations();
    // Creating calls come before the calls that use what they made.
    const order = (op: string) => (/^POST \/api\/(maintenance|webhooks|users|devices\/\{id\}\/commands)$/.test(op) ? 0 : /^(DELETE|POST) .*\/(\{id\}|end)/.test(op) ? 2 : 1);
    for (const op of [...ops].sort((a, b) => order(a) - order(b))) {
      const call = examples(made)[op];
      if (!call) {
        failures.push(`${op}: no example call in this test (add one)`);
        continue;
      }
      const res = await fetch(`${gw.httpUrl}${call.path}`, {
        method: call.method ?? 'GET',
        headers: { authorization: 'Bearer test-token-0123456789abcdef', ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(5000),
      });
      const [method, path] = op.split(' ') as [string, string];
      const responses = doc.paths[path][method.toLowerCase()].responses as Json;
      const described = responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`] ?? responses.default;
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
      if (!call.expect.includes(res.status)) failures.push(`${op}: HTTP ${res.status}, expected ${call.expect.join(' or ')}`);
      const media = described?.content?.[type];
      if (NO_SUCCESS_SCHEMA.has(op) && res.ok) {
        await res.body?.cancel();
        continue;
      }
      if (!media) {
        failures.push(`${op}: HTTP ${res.status} ${type} is not in the document`);
        await res.body?.cancel();
        continue;
      }
      if (type !== 'application/json') {
        await res.body?.cancel();
        continue;
      }
      const body = (await res.json()) as Json;
      if (!ajv.validate(media.schema, body)) failures.push(`${op}: HTTP ${res.status} does not match the document: ${ajv.errorsText(ajv.errors)}`);
      if (op === 'POST /api/maintenance') made.window = body.id;
      if (op === 'POST /api/webhooks') made.webhook = body.id;
      if (op === 'POST /api/users') made.user = body.user.id;
      if (op === 'POST /api/devices/{id}/commands') made.command = body.id;
    }
    expect(failures).toEqual([]);
    expect(ops.length).toBeGreaterThan(40);
  });
});
