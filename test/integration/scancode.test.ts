// 扫码监管 (issue 17) over real HTTP on a real gateway: site codes and their QR (decoded from
// the PNG), rotation, complaints through the public endpoint becoming referred COMPLAINT
// events, their state by tracking code, check-in by drawn inspectors only, and the one-time
// confirmation code. Every public answer is kept and walked at the end for private fields.
import { createRequire } from 'node:module';
import { PNG } from 'pngjs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { makeJpeg, NOT_A_PICTURE } from '../helpers/pictures.js';
import { createInspectors, EEB, EMB, HUD, supervisionRegistry } from '../helpers/supervision.js';

// jsqr is CommonJS whose module.exports is the function itself.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

const PUBLIC_URL = 'https://gw.example.gov.cn/scan';
let gw: TestGateway;
let supervisor: string;
let viewer: string;
let operatorEmb: string;
let operatorEeb: string;
let tokens: Record<string, string>;
const publicAnswers: Array<{ path: string; status: number; body: unknown }> = [];

async function pub(path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const res = await fetch(gw.httpUrl + path, {
    ...rest,
    ...(json !== undefined ? { method: 'POST', body: JSON.stringify(json), headers: { 'content-type': 'application/json', accept: 'application/json' } } : {}),
  } as RequestInit);
  const text = await res.text();
  const body = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  publicAnswers.push({ path, status: res.status, body });
  return { status: res.status, headers: res.headers, body };
}

const codeOf = async (site: string) => (await gw.api(`/api/sites/${site}/code`, { token: viewer })).body;
const complain = (siteCode: string, extra: Record<string, unknown> = {}) => pub('/public/complaints', { json: { siteCode, category: 'safety', description: '储罐区有人吸烟，没有人制止', ...extra } });

beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_PUBLIC_URL: `${PUBLIC_URL}/`, GATEWAY_COMPLAINTS_PER_ADDRESS: '50', GATEWAY_COMPLAINTS_PER_SITE: '50' }, supervisionRegistry);
  supervisor = (await gw.post('/api/users', { name: 'sup-wang', role: 'supervisor' })).body.token;
  viewer = (await gw.post('/api/users', { name: 'view-zhao', role: 'viewer', sites: ['*'] })).body.token;
  operatorEmb = (await gw.post('/api/users', { name: 'op-emb', role: 'operator', departments: [EMB] })).body.token;
  operatorEeb = (await gw.post('/api/users', { name: 'op-eeb', role: 'operator', departments: [EEB] })).body.token;
  tokens = await createInspectors(gw, { 'insp-e1': { departments: [EMB] }, 'insp-e2': { departments: [EMB] }, 'insp-h1': { departments: [HUD] } });
});

afterAll(async () => gw?.stop());

describe('site codes and QR', () => {
  it('give every site a 160-bit code whose URL is under GATEWAY_PUBLIC_URL', async () => {
    const c = await codeOf('chem-a');
    expect(c.code).toMatch(/^[a-z2-7]{32}$/);
    expect(c.url).toBe(`${PUBLIC_URL}/s/${c.code}`);
    expect(c.publicUrlConfigured).toBe(true);
    expect((await codeOf('chem-key')).code).not.toBe(c.code);
  });

  it('serve a PNG that decodes to the site page URL', async () => {
    const res = await fetch(`${gw.httpUrl}/api/sites/chem-a/qr.png`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toBe((await codeOf('chem-a')).url);
  });

  it('serve an SVG of the same code', async () => {
    const res = await fetch(`${gw.httpUrl}/api/sites/chem-a/qr.svg`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toMatch(/^<svg[^>]*viewBox="0 0 \d+ \d+"[\s\S]*<path/);
  });

  it('need a token', async () => {
    expect((await fetch(`${gw.httpUrl}/api/sites/chem-a/qr.png`)).status).toBe(401);
  });

  it('cannot be rotated by a viewer', async () => {
    expect((await gw.post('/api/sites/chem-a/code/rotate', { note: 'x' }, viewer)).status).toBe(403);
  });

  it('rotated: the old code says it was retired and stops taking complaints, the new one works, and the rotation is audited', async () => {
    const old = (await codeOf('chem-d')).code;
    expect((await pub(`/s/${old}`)).status).toBe(200);
    const rotated = await gw.post('/api/sites/chem-d/code/rotate', { note: 'poster torn down at the gate' }, supervisor);
    expect(rotated.status).toBe(200);
    expect(rotated.body.retired).toBe(true);
    expect(rotated.body.code).not.toBe(old);
    const page = await pub(`/s/${old}`);
    expect(page.status).toBe(410);
    expect(page.body).toContain('此二维码已停用');
    expect((await complain(old)).status).toBe(410);
    expect((await pub(`/s/${rotated.body.code}`)).status).toBe(200);
    const audit = (await gw.api('/api/audit?site=chem-d')).body.records.filter((r: any) => r.kind === 'sitecode');
    expect(audit.at(-1)).toMatchObject({ type: 'code_rotated', actor: 'sup-wang', note: 'poster torn down at the gate' });
    expect(JSON.stringify(audit)).not.toContain(rotated.body.code);
  });

  it('answer an unknown code with a 404 page', async () => {
    const res = await pub(`/s/${'a'.repeat(32)}`);
    expect(res.status).toBe(404);
    expect(res.body).toContain('未找到该二维码');
  });
});

describe('the public site page', () => {
  it('shows the site name and sector in Chinese, the complaint form, and no script', async () => {
    const res = await pub(`/s/${(await codeOf('chem-a')).code}`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.body).toContain('甲化工有限公司');
    expect(res.body).toContain('危险化学品');
    expect(res.body).toContain('action="/public/complaints"');
    expect(res.body).not.toMatch(/<script/i);
  });
});

describe('complaints', () => {
  let tracking: string;
  let eventId: string;

  it('answer a tracking code and nothing else', async () => {
    const res = await complain((await codeOf('chem-a')).code, { contact: '13800138000' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['state', 'trackUrl', 'trackingCode']);
    tracking = res.body.trackingCode;
    expect(tracking).toMatch(/^[a-z2-7]{32}$/);
  });

  it('become a COMPLAINT event referred to the site department, seen by that department only', async () => {
    const emb = (await gw.api('/api/events?site=chem-a', { token: operatorEmb })).body.events.filter((e: any) => e.item === 'COMPLAINT');
    expect(emb).toHaveLength(1);
    eventId = emb[0].id;
    expect(emb[0]).toMatchObject({ state: 'open', severity: 'major', device: 'public' });
    const detail = (await gw.api(`/api/events/${eventId}`, { token: operatorEmb })).body;
    expect(detail.transitions.map((t: any) => t.type)).toEqual(['raised', 'referred']);
    expect((await gw.api('/api/events?site=chem-a', { token: operatorEeb })).body.events.filter((e: any) => e.item === 'COMPLAINT')).toHaveLength(0);
  });

  it('go to the department of the category when the site has several', async () => {
    await complain((await codeOf('cn-1')).code, { category: 'environment', description: '夜间施工噪声扰民，粉尘很大' });
    const eeb = (await gw.api('/api/events?site=cn-1', { token: operatorEeb })).body.events.filter((e: any) => e.item === 'COMPLAINT');
    expect(eeb).toHaveLength(1);
  });

  it('keep the contact for staff of the event, never in the event itself', async () => {
    const c = await gw.api(`/api/events/${eventId}/complaint`, { token: operatorEmb });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ category: 'safety', contact: '13800138000' });
    expect(JSON.stringify((await gw.api(`/api/events/${eventId}`)).body)).not.toContain('13800138000');
    expect((await gw.api(`/api/events/${eventId}/complaint`, { token: operatorEeb })).status).toBe(404);
    expect(gw.logs.join('')).not.toContain('13800138000');
    expect(gw.logs.join('')).not.toContain('没有人制止');
  });

  it('show their state by tracking code, following the event', async () => {
    const before = await pub(`/public/complaints/${tracking}`, { headers: { accept: 'application/json' } });
    expect(before.body).toEqual({ state: 'received', stateZh: '已受理', receivedOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    await gw.post(`/api/events/${eventId}/acknowledge`, { note: '已派员核查' }, operatorEmb);
    expect((await pub(`/public/complaints/${tracking}`, { headers: { accept: 'application/json' } })).body.state).toBe('in_progress');
    expect((await pub(`/public/complaints/${'b'.repeat(32)}`, { headers: { accept: 'application/json' } })).status).toBe(404);
  });

  it('are not silenced by a maintenance window of the site', async () => {
    expect((await gw.post('/api/maintenance', { site: 'chem-d', start: Date.now() - 60_000, end: Date.now() + 3_600_000, reason: 'annual overhaul' }, supervisor)).status).toBe(201);
    expect((await complain((await codeOf('chem-d')).code, { description: '检修期间违规动火' })).status).toBe(201);
    const ev = (await gw.api('/api/events?site=chem-d', { token: operatorEmb })).body.events.find((e: any) => e.item === 'COMPLAINT');
    expect(ev).toMatchObject({ suppressed: false });
  });

  it('refuse a body outside the schema with a precise reason', async () => {
    const code = (await codeOf('chem-a')).code;
    const res = await complain(code, { category: 'gossip' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('GW_BAD_REQUEST');
    expect(res.body.error.message).toMatch(/body\.category/);
    expect((await complain(code, { name: '张三' })).status).toBe(400);
    expect((await complain(code, { description: 'x'.repeat(2001) })).body.error.message).toMatch(/body\.description/);
  });

  it('accept pictures as multipart, kept in the evidence store and held by the event', async () => {
    const form = new FormData();
    form.set('siteCode', (await codeOf('chem-key')).code);
    form.set('category', 'safety');
    form.set('description', '罐区阀门漏气，有刺鼻气味');
    form.append('pictures', new Blob([makeJpeg(7)], { type: 'image/jpeg' }), 'a.jpg');
    const res = await pub('/public/complaints', { method: 'POST', body: form, headers: { accept: 'application/json' } });
    expect(res.status).toBe(201);
    const ev = (await gw.api('/api/events?site=chem-key')).body.events.find((e: any) => e.item === 'COMPLAINT');
    const detail = (await gw.api(`/api/events/${ev.id}`)).body;
    expect(detail.evidence[0].picture).toMatch(/^[0-9a-f]{64}$/);
    expect((await gw.api(`/api/evidence/${detail.evidence[0].picture}`)).status).toBe(200);
  });

  it('refuse more pictures than allowed, and a picture over the size limit', async () => {
    const form = (pictures: Buffer[]) => {
      const f = new FormData();
      f.set('siteCode', 'x');
      f.set('category', 'other');
      f.set('description', '照片太多或太大');
      for (const [i, p] of pictures.entries()) f.append('pictures', new Blob([p], { type: 'image/jpeg' }), `${i}.jpg`);
      return f;
    };
    const many = await pub('/public/complaints', { method: 'POST', body: form([1, 2, 3, 4].map((i) => makeJpeg(i))), headers: { accept: 'application/json' } });
    expect(many.status).toBe(413);
    expect(many.body.error.message).toMatch(/at most 3 pictures/);
    const big = Buffer.concat([makeJpeg(5), Buffer.alloc(2 * 1024 * 1024)]);
    const large = await pub('/public/complaints', { method: 'POST', body: form([big]), headers: { accept: 'application/json' } });
    expect(large.status).toBe(413);
    expect(large.body.error.code).toBe('GW_PAYLOAD_TOO_LARGE');
  });

  it('refuse a file that is not a picture', async () => {
    const form = new FormData();
    form.set('siteCode', (await codeOf('chem-key')).code);
    form.set('category', 'other');
    form.set('description', '附件是网页');
    form.append('pictures', new Blob([NOT_A_PICTURE], { type: 'image/jpeg' }), 'x.jpg');
    const res = await pub('/public/complaints', { method: 'POST', body: form, headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/not a JPEG, PNG or WebP/);
  });
});

describe('check-in and confirmation', () => {
  let plan: string;
  let visit: any;
  let confirmCode: string;
  let picture: string;

  beforeAll(async () => {
    plan = (await gw.post('/api/inspections/plans', { title: '2026年12月 危化抽查', period: { from: '2026-12-01', to: '2026-12-31' }, departments: [EMB] }, supervisor)).body.id;
    const drawn = (await gw.post(`/api/inspections/plans/${plan}/draw`, undefined, supervisor)).body;
    visit = drawn.draw.visits.find((v: any) => v.site === 'chem-key');
  });

  it('lists the visits an inspector is drawn for', async () => {
    const mine = (await gw.api('/api/inspections/visits/mine', { token: tokens['insp-e1'] })).body.visits;
    expect(mine.map((v: any) => v.site)).toContain('chem-key');
    expect(visit.inspectors).toEqual(['insp-e1', 'insp-e2']);
  });

  it('refuses a check-in by an inspector not drawn for the visit', async () => {
    const res = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/check-in`, { siteCode: (await codeOf('chem-key')).code }, tokens['insp-h1']);
    expect(res.status).toBe(403);
  });

  it('refuses a check-in with the code of another site', async () => {
    const res = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/check-in`, { siteCode: (await codeOf('chem-a')).code }, tokens['insp-e1']);
    expect(res.status).toBe(400);
  });

  it('records the check-in of a drawn inspector, with the location, audited', async () => {
    const res = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/check-in`, { siteCode: (await codeOf('chem-key')).code, location: { latitude: 30.59, longitude: 114.3, accuracy: 12 } }, tokens['insp-e1']);
    expect(res.status).toBe(201);
    expect(res.body.location).toEqual({ latitude: 30.59, longitude: 114.3, accuracy: 12 });
    const audit = (await gw.api('/api/audit?site=chem-key')).body.records.filter((r: any) => r.type === 'inspection_checked_in');
    expect(audit).toHaveLength(1);
    expect(audit[0].actor).toBe('insp-e1');
  });

  const upload = (token: string | undefined, bytes: Buffer) =>
    fetch(`${gw.httpUrl}/api/inspections/plans/${plan}/visits/chem-key/pictures`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' }, body: bytes });

  it('keeps a picture a drawn inspector takes on site', async () => {
    const res = await upload(tokens['insp-e1'], makeJpeg(9));
    expect(res.status).toBe(201);
    picture = ((await res.json()) as { sha256: string }).sha256;
    expect(picture).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses pictures from an inspector not drawn for the visit, and bytes that are no picture', async () => {
    expect((await upload(tokens['insp-h1'], makeJpeg(10))).status).toBe(403);
    expect((await upload(tokens['insp-e1'], NOT_A_PICTURE)).status).toBe(400);
  });

  it('starts the record at the check-in when the record names no start', async () => {
    const res = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/records`, { endedAt: Date.now() + 1000, pictures: [picture], items: visit.items.map((item: string) => ({ item, outcome: 'compliant' })) }, tokens['insp-e1']);
    expect(res.status).toBe(201);
    const checkIn = (await gw.api(`/api/inspections/plans/${plan}/steps`)).body.visits.find((v: any) => v.site === 'chem-key').checkIns[0];
    expect(res.body.records[0].startedAt).toBe(checkIn.at);
  });

  it('gives the inspector a one-time code at finish', async () => {
    const res = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/finish`, {}, tokens['insp-e2']);
    expect(res.status).toBe(200);
    confirmCode = res.body.code;
    expect(confirmCode).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
    expect(JSON.stringify((await gw.api('/api/audit?site=chem-key')).body)).not.toContain(confirmCode);
  });

  it('does not confirm a visit from another site page', async () => {
    const res = await pub('/public/confirmations', { json: { siteCode: (await codeOf('chem-a')).code, code: confirmCode, rating: 5 } });
    expect(res.status).toBe(404);
  });

  it('confirms the visit once with the rating, shown on the disclosure page', async () => {
    const siteCode = (await codeOf('chem-key')).code;
    const ok = await pub('/public/confirmations', { json: { siteCode, code: confirmCode.toLowerCase(), rating: 4, comment: '检查认真，态度很好' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ confirmed: true, confirmedOn: expect.any(String) });
    const again = await pub('/public/confirmations', { json: { siteCode, code: confirmCode, rating: 1 } });
    expect(again.status).toBe(404);
    const exp = await pub(`/public/inspections/plans/${plan}?format=json`);
    expect(exp.body.results.find((r: any) => r.site === 'chem-key').confirmation).toEqual({ confirmedOn: ok.body.confirmedOn, rating: 4 });
    const audit = (await gw.api('/api/audit?site=chem-key')).body.records.filter((r: any) => r.type === 'visit_confirmed');
    expect(audit).toMatchObject([{ actor: 'enterprise', detail: { rating: 4 } }]);
    expect((await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/finish`, {}, tokens['insp-e1'])).status).toBe(409);
  });

  it('shows the confirmation on the site page too', async () => {
    const page = await pub(`/s/${(await codeOf('chem-key')).code}`);
    expect(page.body).toContain('企业已确认');
    expect(page.body).not.toContain('检查认真');
  });
});

describe('rate limits', () => {
  let limited: TestGateway;
  beforeAll(async () => {
    limited = await startTestGateway({ GATEWAY_COMPLAINTS_PER_ADDRESS: '2', GATEWAY_COMPLAINTS_PER_SITE: '3', GATEWAY_PUBLIC_PER_MINUTE: '5' }, supervisionRegistry);
  });
  afterAll(async () => limited?.stop());

  /** One complaint from a chosen loopback address (the whole 127/8 is on the loopback interface). */
  const send = (code: string, address: string) =>
    new Promise<{ status: number; retryAfter: string | undefined; body: any }>((done, fail) => {
      const body = JSON.stringify({ siteCode: code, category: 'other', description: '测试投诉内容' });
      const req = request(`${limited.httpUrl}/public/complaints`, { method: 'POST', localAddress: address, headers: { 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => done({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body: JSON.parse(text) }));
      });
      req.on('error', fail);
      req.end(body);
    });

  it('hold complaints per address and then per site, with Retry-After and counters', async () => {
    const code = (await limited.api('/api/sites/chem-a/code')).body.code;
    expect((await send(code, '127.0.0.1')).status).toBe(201);
    expect((await send(code, '127.0.0.1')).status).toBe(201);
    const third = await send(code, '127.0.0.1');
    expect(third.status).toBe(429);
    expect(third.retryAfter).toMatch(/^\d+$/);
    expect(third.body.error.message).toMatch(/this address/);
    expect((await send(code, '127.0.0.2')).status).toBe(201);
    const site = await send(code, '127.0.0.3');
    expect(site.status).toBe(429);
    expect(site.body.error.message).toMatch(/this site/);
    const metrics = await (await fetch(`${limited.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/gateway_complaints_total\{outcome="rate_limited_address"\} 1/);
    expect(metrics).toMatch(/gateway_complaints_total\{outcome="rate_limited_site"\} 1/);
    expect(metrics).toMatch(/gateway_complaints_total\{outcome="accepted"\} 3/);
  });

  it('hold site-page views per address', async () => {
    const code = (await limited.api('/api/sites/chem-d/code')).body.code;
    const statuses: number[] = [];
    // Eleven: even if the one-minute window turns during the loop, at most ten fit in two windows.
    for (let i = 0; i < 11; i++) statuses.push((await fetch(`${limited.httpUrl}/s/${code}`)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
  });
});

describe('public answers', () => {
  // Keys a public JSON answer may have; anything else (names, notes, contact, ids of staff) fails.
  const ALLOWED = new Set(['trackingCode', 'trackUrl', 'state', 'stateZh', 'receivedOn', 'confirmed', 'confirmedOn', 'error', 'code', 'message']);
  it('hold no private field', () => {
    const json = publicAnswers.filter((a) => typeof a.body === 'object' && !a.path.startsWith('/public/inspections'));
    expect(json.length).toBeGreaterThan(10);
    for (const a of json) for (const k of Object.keys(a.body as object)) expect(ALLOWED.has(k) || (k === 'error' && true), `${a.path}: ${k}`).toBe(true);
    for (const a of json) if ((a.body as any).error) expect(Object.keys((a.body as any).error).sort()).toEqual(['code', 'message']);
    const text = JSON.stringify(publicAnswers);
    for (const secret of ['13800138000', 'sup-wang', 'op-emb', '检查认真', '已派员核查']) expect(text, secret).not.toContain(secret);
  });
});
