import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, publishTelemetry, raise } from '../helpers/events.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { openSse } from '../helpers/sse.js';

let gw: TestGateway;
let operator: string; // op-mine: operator of mine-007 only
let supervisor: string; // sup-lee
let viewer: string; // view-chem: viewer of hb-chem-001
let mineEvent: string;
let chemEvent: string;

beforeAll(async () => {
  gw = await startTestGateway();
  operator = await createUser(gw, 'op-mine', 'operator', ['mine-007']);
  supervisor = await createUser(gw, 'sup-lee', 'supervisor');
  viewer = await createUser(gw, 'view-chem', 'viewer', ['hb-chem-001']);
  mineEvent = await raise(gw, 'ch4-01', { ch4: 2 });
  chemEvent = await raise(gw, 'gas-01', { gas_lel: 58 });
});

afterAll(async () => {
  await gw?.stop();
});

describe('an operator, scoped to a site', () => {
  it('acknowledges and comments on an event of the own site, recorded under the operator name', async () => {
    const ack = await gw.post(`/api/events/${mineEvent}/acknowledge`, { note: 'going down' }, operator);
    expect(ack.status).toBe(200);
    expect(ack.body.transition).toMatchObject({ type: 'acknowledged', actor: 'op-mine' });
    const comment = await gw.post(`/api/events/${mineEvent}/comments`, { note: 'fan 2 stopped' }, operator);
    expect(comment.body.transition).toMatchObject({ type: 'commented', actor: 'op-mine' });
  });

  it('answers 403 GW_FORBIDDEN when an operator closes an event, and records nothing', async () => {
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.2 });
    const before = (await gw.api(`/api/events/${mineEvent}`)).body;
    expect(before.state).toBe('resolved');
    const res = await gw.post(`/api/events/${mineEvent}/close`, { disposition: 'rectified', note: 'fan fixed' }, operator);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('GW_FORBIDDEN');
    expect((await gw.api(`/api/events/${mineEvent}`)).body.transitions).toHaveLength(before.transitions.length);
  });

  it('answers 403 GW_FORBIDDEN when an operator resolves an event', async () => {
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    const res = await gw.post(`/api/events/${id}/resolve`, { note: 'looks fine' }, operator);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('GW_FORBIDDEN');
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.2 });
  });

  it('answers 404 to an operator reading an event of another site, as for an unknown id', async () => {
    const res = await gw.api(`/api/events/${chemEvent}`, { token: operator });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
  });

  it('answers 404 to an operator acknowledging an event of another site, and records nothing', async () => {
    const res = await gw.post(`/api/events/${chemEvent}/acknowledge`, {}, operator);
    expect(res.status).toBe(404);
    expect((await gw.api(`/api/events/${chemEvent}`)).body.state).toBe('open');
  });

  it("lists only the own site's events to an operator", async () => {
    const res = await gw.api('/api/events', { token: operator });
    expect(res.status).toBe(200);
    expect(res.body.events.length).toBeGreaterThan(0);
    expect(res.body.events.every((e: { site: string }) => e.site === 'mine-007')).toBe(true);
  });

  it("shows an operator only the own site's audit rows and export rows", async () => {
    const audit = await gw.api('/api/audit', { token: operator });
    expect(audit.body.records.length).toBeGreaterThan(0);
    expect(audit.body.records.every((r: { site: string }) => r.site === 'mine-007')).toBe(true);
    const byEvent = await gw.api(`/api/audit?event=${chemEvent}`, { token: operator });
    expect(byEvent.body.records).toEqual([]);
    const exported = await gw.api('/api/events/export?format=ndjson', { token: operator });
    const rows = (exported.body as string).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.site === 'mine-007')).toBe(true);
  });

  it("lists only the own site to an operator at GET /api/sites", async () => {
    const res = await gw.api('/api/sites', { token: operator });
    expect(res.body.sites.map((s: { id: string }) => s.id)).toEqual(['mine-007']);
  });

  const foreign = ['/api/events?site=hb-chem-001', '/api/audit?site=hb-chem-001', '/api/events/export?site=hb-chem-001', '/api/maintenance?site=hb-chem-001'];
  for (const path of foreign) {
    it(`answers 403 GW_FORBIDDEN to an operator asking explicitly for another site: ${path}`, async () => {
      const res = await gw.api(path, { token: operator });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('GW_FORBIDDEN');
    });
  }

  it('answers 403 GW_FORBIDDEN to an operator opening the event stream of another site', async () => {
    const stream = await openSse(`${gw.httpUrl}/api/events/stream?site=hb-chem-001`, { token: operator });
    expect(stream.status).toBe(403);
    expect(stream.body.error.code).toBe('GW_FORBIDDEN');
  });

  it('answers 403 to an operator verifying the audit chain or opening a maintenance window', async () => {
    expect((await gw.api('/api/audit/verify', { token: operator })).status).toBe(403);
    const now = Date.now();
    const res = await gw.post('/api/maintenance', { site: 'mine-007', start: now, end: now + 60_000, reason: 'x' }, operator);
    expect(res.status).toBe(403);
  });
});

describe('a supervisor and a viewer', () => {
  it('lets a supervisor see every site and close an event, recorded under the supervisor name', async () => {
    const list = await gw.api('/api/events', { token: supervisor });
    expect(new Set(list.body.events.map((e: { site: string }) => e.site))).toEqual(new Set(['mine-007', 'hb-chem-001']));
    const res = await gw.post(`/api/events/${mineEvent}/close`, { disposition: 'rectified', note: 'fan 2 replaced' }, supervisor);
    expect(res.status).toBe(200);
    expect(res.body.transition).toMatchObject({ type: 'closed', actor: 'sup-lee', disposition: 'rectified' });
  });

  it('answers 403 GW_FORBIDDEN to a viewer acknowledging an event it can see', async () => {
    expect((await gw.api(`/api/events/${chemEvent}`, { token: viewer })).status).toBe(200);
    const res = await gw.post(`/api/events/${chemEvent}/acknowledge`, {}, viewer);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('GW_FORBIDDEN');
  });

  it('answers 404 to a scoped viewer reading an event of another site', async () => {
    expect((await gw.api(`/api/events/${mineEvent}`, { token: viewer })).status).toBe(404);
  });

  it('tells each caller who they are at GET /api/me', async () => {
    expect((await gw.api('/api/me', { token: operator })).body).toEqual({ user: 'op-mine', role: 'operator', sites: ['mine-007'], departments: null });
    expect((await gw.api('/api/me', { token: supervisor })).body).toEqual({ user: 'sup-lee', role: 'supervisor', sites: null, departments: null });
  });
});

describe('managing users', () => {
  it('answers 403 GW_FORBIDDEN to a supervisor creating a user', async () => {
    const res = await gw.post('/api/users', { name: 'someone', role: 'viewer', sites: ['*'] }, supervisor);
    expect(res.status).toBe(403);
  });

  it('answers 400 naming sites for an operator without a site', async () => {
    const res = await gw.post('/api/users', { name: 'op-nowhere', role: 'operator' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('sites');
  });

  it('answers 400 for an operator of a site not in the registry', async () => {
    const res = await gw.post('/api/users', { name: 'op-ghost', role: 'operator', sites: ['no-such-site'] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('no-such-site');
  });

  it('answers 409 GW_CONFLICT for a name already taken', async () => {
    const res = await gw.post('/api/users', { name: 'op-mine', role: 'viewer', sites: ['*'] });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('GW_CONFLICT');
  });

  // Audit actors are names: a person must not be able to act as the gateway, a rule or a device.
  for (const name of ['admin', 'system', 'mining.methane', 'gas-01']) {
    it(`answers 409 GW_CONFLICT for a user named ${name}`, async () => {
      const res = await gw.post('/api/users', { name, role: 'supervisor' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('GW_CONFLICT');
    });
  }

  it('answers 401 to the token of a user who was disabled', async () => {
    const created = await gw.post('/api/users', { name: 'temp-viewer', role: 'viewer', sites: ['*'] });
    expect((await gw.api('/api/me', { token: created.body.token })).status).toBe(200);
    expect((await gw.api(`/api/users/${created.body.user.id}`, { method: 'DELETE' })).body.disabled).toBe(true);
    expect((await gw.api('/api/me', { token: created.body.token })).status).toBe(401);
  });

  it('never lists a token or its hash', async () => {
    const res = await gw.api('/api/users');
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(operator);
    expect(text).not.toMatch(/token/i);
  });
});

describe('the token check', () => {
  // The router decodes %61 to "a": these reach /api routes though req.url does not start with /api.
  for (const path of ['/%61pi/users', '/%61pi/webhooks', '/%61pi/audit/verify', '/api/u%73ers']) {
    it(`answers 401 without a token for the percent-encoded path ${path}`, async () => {
      const res = await gw.api(path, { token: null });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('GW_UNAUTHORIZED');
    });
  }

  it('still checks the role on a percent-encoded path', async () => {
    const res = await gw.api('/%61pi/users', { token: operator });
    expect(res.status).toBe(403);
    expect((await gw.api('/%61pi/users', { token: TEST_TOKEN })).status).toBe(200);
  });
});
