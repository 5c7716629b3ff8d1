import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as inspectionsCli } from '../../gateway/src/inspections/cli.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { makeJpeg } from '../helpers/pictures.js';
import { basic, push } from '../helpers/push.js';
import { createInspectors, DEVICE_IDS, DEVICE_SECRETS, EEB, EMB, HUD, supervisionRegistry } from '../helpers/supervision.js';

let gw: TestGateway;
let tokens: Record<string, string>;
let supervisor: string;
let viewer: string;
let plan: string;
let drawn: any;
/** Every public answer this file received: walked at the end for private fields. */
const publicAnswers: Array<{ path: string; body: unknown }> = [];

const EMB_INSPECTORS = ['insp-e1', 'insp-e2', 'insp-e3', 'insp-e4', 'insp-e5'];
/** Their personal names: never on a public page unless the policy says publish.inspectorNames (the shipped one does not). */
const DISPLAY_NAMES = ['王建国', '李秀英', '张伟', '刘洋', '陈静'];

async function publicGet(path: string, json = true) {
  const res = await fetch(gw.httpUrl + path, { headers: json ? { accept: 'application/json' } : {} });
  const text = await res.text();
  const body = json && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  publicAnswers.push({ path, body });
  return { status: res.status, headers: res.headers, body };
}

beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_PUBLIC_PER_MINUTE: '60' }, supervisionRegistry);
  tokens = await createInspectors(gw, {
    ...Object.fromEntries(EMB_INSPECTORS.map((n, i) => [n, { departments: [EMB], displayName: DISPLAY_NAMES[i]!, ...(n === 'insp-e1' ? { conflicts: ['chem-key'] } : {}) }])),
    'insp-v1': { departments: [EEB] },
    'insp-v2': { departments: [EEB] },
    'insp-h1': { departments: [HUD] },
    'insp-h2': { departments: [HUD] },
  });
  supervisor = (await gw.post('/api/users', { name: 'sup-zhang', role: 'supervisor' })).body.token;
  viewer = (await gw.post('/api/users', { name: 'view-li', role: 'viewer', sites: ['*'] })).body.token;
});

afterAll(async () => {
  await gw?.stop();
});

describe('enterprise profile', () => {
  it('comes from the registry', async () => {
    const res = await gw.api('/api/sites/chem-key/profile', { token: viewer });
    expect(res.body).toMatchObject({ site: 'chem-key', creditGrade: 'B', keySupervision: true, departments: [EMB], source: 'registry' });
  });

  it('is changed by a supervisor, and the change is audited with the values before and after', async () => {
    const res = await gw.post('/api/sites/chem-a/profile', { creditGrade: 'C', note: '2026-11 SAMR reassessment' }, supervisor, 'PUT');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ creditGrade: 'C', source: 'api', updatedBy: 'sup-zhang' });
    const audit = (await gw.api('/api/audit?site=chem-a')).body.records.filter((r: any) => r.kind === 'profile');
    expect(audit.at(-1)).toMatchObject({ type: 'profile_changed', actor: 'sup-zhang', note: '2026-11 SAMR reassessment', detail: { before: { creditGrade: 'A' }, after: { creditGrade: 'C' } } });
  });

  it('cannot be changed by a viewer', async () => {
    expect((await gw.post('/api/sites/chem-a/profile', { creditGrade: 'A', note: 'x' }, viewer, 'PUT')).status).toBe(403);
  });

  it('refuses a department the catalogue does not name', async () => {
    const res = await gw.post('/api/sites/chem-a/profile', { departments: ['Tax Bureau'], note: 'x' }, supervisor, 'PUT');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/Tax Bureau/);
  });
});

describe('inspectors', () => {
  it('need a department when created', async () => {
    const res = await gw.post('/api/users', { name: 'insp-x', role: 'inspector' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/department/);
  });

  it('cannot create plans', async () => {
    const res = await gw.post('/api/inspections/plans', { title: 't', period: { from: '2026-12-01', to: '2026-12-31' }, departments: [EMB] }, tokens['insp-e2']);
    expect(res.status).toBe(403);
  });
});

describe('a joint plan, committed then drawn', () => {
  let seedHashAtCreation: string;
  let before: any;

  it('publishes only the seed hash at creation, and audits it', async () => {
    const res = await gw.post('/api/inspections/plans', { title: '2026年12月 危化与建筑联合抽查', period: { from: '2026-12-01', to: '2026-12-31' }, departments: [EMB, EEB, HUD] }, supervisor);
    expect(res.status).toBe(201);
    plan = res.body.id;
    expect(res.body.seed).toBeNull();
    seedHashAtCreation = res.body.seedHash;
    expect(seedHashAtCreation).toMatch(/^[0-9a-f]{64}$/);
    const audit = (await gw.api('/api/audit?site=gateway')).body.records.find((r: any) => r.kind === 'inspection' && r.type === 'plan_created' && r.windowId === plan);
    expect(audit.detail.seedHash).toBe(seedHashAtCreation);
    before = (await publicGet(`/public/inspections/plans/${plan}`)).body;
    expect(before).toMatchObject({ state: 'committed', seedHash: seedHashAtCreation, seed: null, draw: null, pool: null });
  });

  it('reveals at the draw a seed whose SHA-256 is the hash published before', async () => {
    const res = await gw.post(`/api/inspections/plans/${plan}/draw`, undefined, supervisor);
    expect(res.status).toBe(200);
    drawn = res.body;
    expect(createHash('sha256').update(Buffer.from(drawn.seed, 'hex')).digest('hex')).toBe(seedHashAtCreation);
    expect(JSON.stringify(before)).not.toContain(drawn.seed);
  });

  it('includes every key-supervision site', () => {
    const sites = drawn.draw.visits.map((v: any) => v.site);
    expect(sites).toEqual(expect.arrayContaining(['chem-key', 'cn-1']));
  });

  it('visits a site drawn by two departments once, with both departments items and inspectors', () => {
    const visits = drawn.draw.visits.filter((v: any) => v.site === 'cn-1');
    expect(visits).toHaveLength(1);
    const v = visits[0];
    expect(v.departments.map((d: any) => d.department)).toEqual([EEB, HUD]);
    expect(v.items).toEqual(expect.arrayContaining(['CN-01', 'CN-02']));
    expect(v.inspectors).toEqual(['insp-h1', 'insp-h2', 'insp-v1', 'insp-v2']);
  });

  it('never sends an inspector to a site they declared a conflict with', () => {
    const v = drawn.draw.visits.find((x: any) => x.site === 'chem-key');
    expect(v.inspectors).toHaveLength(2);
    expect(v.inspectors).not.toContain('insp-e1');
  });

  it('is drawn once: a second draw is refused', async () => {
    expect((await gw.post(`/api/inspections/plans/${plan}/draw`, undefined, supervisor)).status).toBe(409);
  });

  it('verifies with npm run inspections -- verify on the public export', async () => {
    const exported = (await publicGet(`/public/inspections/plans/${plan}`)).body;
    const file = join(mkdtempSync(join(tmpdir(), 'plan-')), 'plan.json');
    writeFileSync(file, JSON.stringify(exported));
    let out = '';
    const code = inspectionsCli(['verify', file], { out: (t) => void (out += t), err: (t) => void (out += t) });
    expect(out).toMatch(/MATCH/);
    expect(code).toBe(0);
  });
});

describe('inspection records', () => {
  const visitOf = (site: string) => drawn.draw.visits.find((v: any) => v.site === site);

  it('are refused from an inspector who was not drawn for the visit', async () => {
    const res = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/records`, { startedAt: Date.now() - 3_600_000, endedAt: Date.now(), items: [{ item: 'HC-01', outcome: 'compliant' }] }, tokens['insp-e1']);
    expect(res.status).toBe(403);
  });

  it('are kept per item, and a rectification needs a deadline', async () => {
    const who = visitOf('chem-key').inspectors[0];
    const noDeadline = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/records`, { startedAt: Date.now() - 3_600_000, endedAt: Date.now(), items: [{ item: 'HC-02', outcome: 'rectification_ordered' }] }, tokens[who]);
    expect(noDeadline.status).toBe(400);
    const res = await gw.post(
      `/api/inspections/plans/${plan}/visits/chem-key/records`,
      {
        startedAt: Date.now() - 3_600_000,
        endedAt: Date.now(),
        items: [
          { item: 'HC-01', outcome: 'compliant' },
          { item: 'HC-02', outcome: 'rectification_ordered', deadline: Date.now() + 500, note: '2号探头校准过期' },
        ],
      },
      tokens[who],
    );
    expect(res.status).toBe(201);
    expect(res.body.records.map((r: any) => [r.item, r.outcome])).toEqual([
      ['HC-01', 'compliant'],
      ['HC-02', 'rectification_ordered'],
    ]);
  });

  it('refuse a picture that is not in the evidence store', async () => {
    const who = visitOf('chem-key').inspectors[0];
    const res = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/records`, { startedAt: Date.now() - 1000, endedAt: Date.now(), items: [{ item: 'HC-03', outcome: 'compliant' }], pictures: ['0'.repeat(64)] }, tokens[who]);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/evidence store/);
  });

  it('keep a real stored picture past its retention while the picture nobody recorded is swept', async () => {
    // Two pictures of the site in the evidence store, pushed by its device with a confidence no rule acts on (no event pins them).
    const shaOf = async (seed: number) => {
      const jpg = makeJpeg(seed);
      const body = JSON.stringify({ camera: 'gate', detections: [{ type: 'intrusion', confidence: 0.01 }], picture: { contentType: 'image/jpeg', data: jpg.toString('base64') } });
      const res = await push(gw.httpUrl, 'vision', body, { auth: basic('chem-key-gas') });
      expect(res.status).toBe(200);
      return createHash('sha256').update(jpg).digest('hex');
    };
    const [recorded, loose] = [await shaOf(161), await shaOf(162)];
    const who = visitOf('chem-key').inspectors[0];
    const res = await gw.post(`/api/inspections/plans/${plan}/visits/chem-key/records`, { startedAt: Date.now() - 1000, endedAt: Date.now(), items: [{ item: 'HC-04', outcome: 'compliant' }], pictures: [recorded] }, tokens[who]);
    expect(res.status).toBe(201);
    // 31 days on: past the 30-day hazardous-chemicals retention.
    const swept = await gw.gateway.evidence.sweep(Date.now() + 31 * 86_400_000);
    expect(swept.pinned).toBeGreaterThanOrEqual(1);
    const served = async (sha: string) => (await fetch(`${gw.httpUrl}/api/evidence/${sha}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).status;
    expect([await served(recorded), await served(loose)]).toEqual([200, 404]);
  });

  it('raise one event when an ordered rectification passes its deadline', async () => {
    await new Promise((r) => setTimeout(r, 600));
    expect(gw.gateway.supervision.inspections.checkOverdue(Date.now())).toBe(1);
    expect(gw.gateway.supervision.inspections.checkOverdue(Date.now())).toBe(0);
    const events = (await gw.api('/api/events?site=chem-key')).body.events.filter((e: any) => e.item === 'RISK-02');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ state: 'open', severity: 'major' });
  });

  it('publish the conclusion and the day of the visit, not the notes', async () => {
    const e = (await publicGet(`/public/inspections/plans/${plan}`)).body;
    expect(e.results).toEqual([{ site: 'chem-key', conclusion: 'rectification_ordered', inspectedOn: new Date().toISOString().slice(0, 10) }]);
    expect(JSON.stringify(e)).not.toContain('校准过期');
  });
});

describe('the next plan', () => {
  it('does not send the same inspector to the same site twice in a row', async () => {
    const created = await gw.post('/api/inspections/plans', { title: '2027年1月 危化抽查', period: { from: '2027-01-01', to: '2027-01-31' }, departments: [EMB] }, supervisor);
    const next = (await gw.post(`/api/inspections/plans/${created.body.id}/draw`, undefined, supervisor)).body;
    const last = drawn.draw.visits.find((v: any) => v.site === 'chem-key').inspectors;
    const now = next.draw.visits.find((v: any) => v.site === 'chem-key').inspectors;
    expect(now).toHaveLength(2);
    for (const i of now) expect(last).not.toContain(i);
    expect(now).not.toContain('insp-e1');
    expect(next.pool.sites.find((s: any) => s.site === 'chem-key').excluded).toEqual(expect.arrayContaining([...last, 'insp-e1']));
  });
});

describe('public pages', () => {
  it('serve the plan list and a plan as Chinese HTML without a token, cacheable', async () => {
    const list = await publicGet('/public/inspections', false);
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toMatch(/text\/html/);
    expect(list.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
    expect(list.body).toContain('抽查计划');
    const page = await publicGet(`/public/inspections/plans/${plan}`, false);
    expect(page.body).toContain('重点危化储罐区');
    expect(page.body).toContain(drawn.seed);
  });

  it('answer 304 to a request with the ETag they gave', async () => {
    const first = await fetch(`${gw.httpUrl}/public/inspections`, { headers: { accept: 'application/json' } });
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${gw.httpUrl}/public/inspections`, { headers: { accept: 'application/json', 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('name the drawn inspectors by id and show no personal name by default', async () => {
    const json = (await publicGet(`/public/inspections/plans/${plan}`)).body;
    const html = (await publicGet(`/public/inspections/plans/${plan}`, false)).body as string;
    const drawnInspectors = json.draw.visits.flatMap((v: any) => v.inspectors) as string[];
    expect(drawnInspectors.some((i) => EMB_INSPECTORS.includes(i))).toBe(true);
    for (const id of drawnInspectors) expect(html).toContain(id);
    expect(json.inspectorNames).toBeUndefined();
    for (const name of DISPLAY_NAMES) expect(html.includes(name) || JSON.stringify(json).includes(name), name).toBe(false);
    // The names are in the user model all the same.
    const users = (await gw.api('/api/users')).body.users as any[];
    expect(users.find((u) => u.name === 'insp-e2')?.displayName).toBe('李秀英');
  });

  it('hold no private field in any public answer', async () => {
    await publicGet('/public/inspections');
    await publicGet('/public/style.css', false);
    const forbiddenKeys = new Set(['token', 'tokenHash', 'secret', 'secretHash', 'devices', 'device', 'readings', 'latest', 'note', 'notes', 'pictures', 'conflicts', 'createdBy', 'drawnBy', 'recordedBy', 'creditCode', 'displayName']);
    const forbiddenValues = [TEST_TOKEN, supervisor, viewer, ...Object.values(tokens), ...DEVICE_SECRETS, ...DEVICE_IDS, 'sup-zhang', 'view-li', '校准过期', 'ev-000000000-0000000000', ...DISPLAY_NAMES];
    const walk = (v: unknown, path: string) => {
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
      if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          expect(forbiddenKeys.has(k), `${path}.${k}`).toBe(false);
          walk(x, `${path}.${k}`);
        }
      }
    };
    expect(publicAnswers.length).toBeGreaterThanOrEqual(6);
    for (const a of publicAnswers) {
      if (typeof a.body !== 'string') walk(a.body, a.path);
      const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
      for (const secret of forbiddenValues) expect(text.includes(secret), `${a.path} holds ${secret.slice(0, 12)}`).toBe(false);
    }
  });

  it('are rate-limited per address with 429 and Retry-After', async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 130 && !limited; i++) {
      const res = await fetch(`${gw.httpUrl}/public/inspections`, { headers: { accept: 'application/json' } });
      await res.arrayBuffer();
      if (res.status === 429) limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get('retry-after')).toBe('60');
  });
});
