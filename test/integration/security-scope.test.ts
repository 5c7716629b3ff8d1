// Site scope made explicit and kept (issue 20, findings 13 and 14): a viewer created without
// sites is refused instead of seeing every site; "every site" is written sites: ["*"]; users
// from before are kept as they were and named in the log; a scoped viewer's audit pages hold
// only its rows; maintenance windows refuse devices of other sites, unknown devices, and
// times beyond any sane bound.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../gateway/src/users/index.js';
import { createUser, raise } from '../helpers/events.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('viewers and site scope', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    await raise(gw, 'ch4-01', { ch4: 2 });
    await raise(gw, 'gas-01', { gas_lel: 60 });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('refuses a viewer without sites with 400, saying how to grant every site', async () => {
    const res = await gw.post('/api/users', { name: 'view-none', role: 'viewer' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('sites');
    expect(res.body.error.message).toContain('["*"]');
  });

  it('creates a viewer of every site with sites ["*"], who sees both sites', async () => {
    const res = await gw.post('/api/users', { name: 'view-all', role: 'viewer', sites: ['*'] });
    expect(res.status).toBe(201);
    expect(res.body.user.sites).toBeNull();
    const events = (await gw.api('/api/events', { token: res.body.token })).body.events as { site: string }[];
    expect(new Set(events.map((e) => e.site))).toEqual(new Set(['mine-007', 'hb-chem-001']));
  });

  it('refuses "*" mixed with site ids', async () => {
    const res = await gw.post('/api/users', { name: 'view-mixed', role: 'viewer', sites: ['*', 'mine-007'] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('["*"]');
  });

  it('keeps a viewer of one site to that site', async () => {
    const token = await createUser(gw, 'view-mine', 'viewer', ['mine-007']);
    const events = (await gw.api('/api/events', { token })).body.events as { site: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.site === 'mine-007')).toBe(true);
  });
});

describe('users created before sites were required', () => {
  it('keeps an old unscoped viewer seeing every site, as sites ["*"], and names it in the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-legacy-users-'));
    try {
      const first = await startTestGateway({ INFLUX_URL: '' }, undefined, dir);
      await first.stop();
      // What the earlier gateway stored for a viewer created without sites.
      const db = new Database(join(dir, 'state.db'));
      db.prepare('INSERT INTO users (id, name, role, sites, token_hash, created_at, created_by) VALUES (?, ?, ?, NULL, ?, ?, ?)').run('usr-00000000abcd', 'old-viewer', 'viewer', hashToken('old-viewer-token-0123456789'), 1, 'admin');
      db.close();
      const gw = await startTestGateway({ INFLUX_URL: '' }, undefined, dir);
      try {
        const warn = gw.logs.map((l) => JSON.parse(l) as { msg?: string; users?: string[] }).find((l) => l.users?.includes('old-viewer'));
        expect(warn?.msg).toMatch(/every site/);
        const me = await gw.api('/api/me', { token: 'old-viewer-token-0123456789' });
        expect([me.status, me.body.sites]).toEqual([200, null]);
        const stored = new Database(join(dir, 'state.db'), { readonly: true });
        expect(stored.prepare('SELECT sites FROM users WHERE name = ?').get('old-viewer')).toEqual({ sites: '["*"]' });
        stored.close();
      } finally {
        await gw.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('audit paging of a scoped viewer', () => {
  let gw: TestGateway;
  let viewer: string;
  beforeAll(async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    viewer = await createUser(gw, 'audit-mine', 'viewer', ['mine-007']);
    // Many rows of the other site, few of the viewer's.
    for (let i = 0; i < 3; i++) {
      const id = await raise(gw, 'gas-01', { gas_lel: 60 });
      for (let k = 0; k < 8; k++) await gw.post(`/api/events/${id}/comments`, { note: `note ${k}` });
      await gw.post(`/api/events/${id}/resolve`, { note: 'ok' });
      await gw.post(`/api/events/${id}/close`, { disposition: 'false_alarm', note: 'ok' });
    }
    const mine = await raise(gw, 'ch4-01', { ch4: 2 });
    await gw.post(`/api/events/${mine}/comments`, { note: 'mine note' });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('fills each page with the viewer\'s own rows only', async () => {
    const page = (await gw.api('/api/audit?limit=2', { token: viewer })).body;
    expect(page.records).toHaveLength(2);
    expect(page.records.every((r: { site: string }) => r.site === 'mine-007')).toBe(true);
  });

  it("ends the paging after the viewer's last row, not after the other site's", async () => {
    const all = (await gw.api('/api/audit?limit=1000')).body.records as { type: string; at: number; note: string | null; site: string }[];
    const mine = all.filter((r) => r.site === 'mine-007').map(({ type, at, note }) => ({ type, at, note }));
    const page = (await gw.api(`/api/audit?limit=${mine.length}`, { token: viewer })).body;
    expect(page.records.map(({ type, at, note }: { type: string; at: number; note: string | null }) => ({ type, at, note }))).toEqual(mine);
    // A full page's cursor points after the viewer's own last row, whatever the other site wrote after it.
    const next = (await gw.api(`/api/audit?limit=${mine.length}&cursor=${page.nextCursor}`, { token: viewer })).body;
    expect([next.records.length, next.nextCursor]).toEqual([0, null]);
  });
});

describe('maintenance windows', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
  });
  afterAll(async () => {
    await gw?.stop();
  });
  const now = () => Date.now();
  const post = (body: object) => gw.post('/api/maintenance', { reason: 'calibration', ...body });

  it('refuses a device of another site with 400 naming both', async () => {
    const res = await post({ site: 'mine-007', device: 'gas-01', start: now(), end: now() + 3_600_000 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('gas-01');
    expect(res.body.error.message).toContain('mine-007');
  });

  it('refuses a device that is not in the registry with 400', async () => {
    const res = await post({ site: 'mine-007', device: 'no-such-device', start: now(), end: now() + 3_600_000 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('no-such-device');
  });

  for (const [what, end] of [['2^53', 2 ** 53], ['2^53 - 1 (the largest safe integer)', Number.MAX_SAFE_INTEGER]] as const) {
    it(`refuses an end of ${what} with 400`, async () => {
      const res = await post({ site: 'mine-007', start: now(), end });
      expect(res.status).toBe(400);
    });
  }

  it('refuses a window longer than a year with 400', async () => {
    const res = await post({ site: 'mine-007', start: now(), end: now() + 400 * 86_400_000 });
    expect(res.status).toBe(400);
  });

  it('refuses a change that moves the end beyond a year', async () => {
    const created = await post({ site: 'mine-007', device: 'ch4-01', start: now(), end: now() + 3_600_000 });
    expect(created.status).toBe(201);
    const res = await gw.post(`/api/maintenance/${created.body.id}`, { end: Number.MAX_SAFE_INTEGER }, undefined, 'PATCH');
    expect(res.status).toBe(400);
    const longer = await gw.post(`/api/maintenance/${created.body.id}`, { end: now() + 400 * 86_400_000 }, undefined, 'PATCH');
    expect(longer.status).toBe(400);
  });
});
