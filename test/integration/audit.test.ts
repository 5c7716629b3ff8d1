import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTelemetry, raise, resolveAndClose } from '../helpers/events.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
// ch4-01 (mine-007): raised, acknowledged, resolved by the rule. gas-01 (hb-chem-001): closed by a person.
let mineEvent: string;
let chemEvent: string;
let startedAt: number;

beforeAll(async () => {
  gw = await startTestGateway();
  startedAt = Date.now();
  mineEvent = await raise(gw, 'ch4-01', { ch4: 2 });
  await gw.post(`/api/events/${mineEvent}/acknowledge`, { note: 'crew evacuated' });
  await publishTelemetry(gw, 'ch4-01', { ch4: 0.5 });
  chemEvent = await raise(gw, 'gas-01', { gas_lel: 55 });
  await resolveAndClose(gw, chemEvent, 'device_fault');
});

afterAll(async () => {
  await gw?.stop();
});

/** Opens the gateway's own state database the way an attacker with file access would. */
function openStateFile() {
  return new Database(join(gw.dataDir, 'state.db'));
}

describe('the audit trail of transitions', () => {
  it('lists every transition of an event with its id, type, time, actor, note, severity and value', async () => {
    const res = await gw.api(`/api/audit?event=${mineEvent}`);
    expect(res.status).toBe(200);
    expect(res.body.records.map((r: Record<string, unknown>) => [r.kind, r.eventId, r.type, r.actor, r.severity, r.value])).toEqual([
      ['transition', mineEvent, 'raised', 'mining.methane', 'critical', 2],
      ['transition', mineEvent, 'acknowledged', 'admin', 'critical', 2],
      ['transition', mineEvent, 'resolved', 'system', 'critical', 0.5],
    ]);
    expect(res.body.records[1].note).toBe('crew evacuated');
    for (const r of res.body.records) expect(r.at).toBeGreaterThanOrEqual(startedAt - 1000);
  });

  it('records the disposition of a close in the audit row', async () => {
    const res = await gw.api(`/api/audit?event=${chemEvent}`);
    const close = res.body.records.find((r: { type: string }) => r.type === 'closed');
    expect(close).toMatchObject({ actor: 'admin', note: 'closed by the test', detail: { disposition: 'device_fault' } });
  });

  it('filters by site', async () => {
    const res = await gw.api('/api/audit?site=hb-chem-001');
    expect(res.body.records.length).toBeGreaterThan(0);
    expect(res.body.records.every((r: { site: string }) => r.site === 'hb-chem-001')).toBe(true);
    expect(res.body.records.some((r: { eventId: string }) => r.eventId === chemEvent)).toBe(true);
  });

  it('filters by since and until on the transition time', async () => {
    const all = (await gw.api('/api/audit')).body.records as Array<{ seq: number; at: number }>;
    const pivot = all[2]!.at;
    const since = (await gw.api(`/api/audit?since=${pivot}`)).body.records as Array<{ at: number }>;
    const until = (await gw.api(`/api/audit?until=${pivot}`)).body.records as Array<{ at: number }>;
    expect(since.every((r) => r.at >= pivot)).toBe(true);
    expect(until.every((r) => r.at < pivot)).toBe(true);
    expect(since.length + until.length).toBe(all.length);
  });

  it('answers 400 for a time that is neither epoch milliseconds nor ISO 8601', async () => {
    const res = await gw.api('/api/audit?since=yesterday');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('since');
  });

  it('chains each row to the SHA-256 of the row before, from a genesis of zeros', async () => {
    const { records } = (await gw.api('/api/audit')).body as { records: Array<{ seq: number; prevHash: string; hash: string }> };
    expect(records[0]!.prevHash).toBe('0'.repeat(64));
    records.forEach((r, i) => {
      expect(r.seq).toBe(i + 1);
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      if (i > 0) expect(r.prevHash).toBe(records[i - 1]!.hash);
    });
  });
});

describe('the audit trail of maintenance windows', () => {
  it('records creating, changing and ending a window with the actor and the before and after', async () => {
    const now = Date.now();
    const created = await gw.post('/api/maintenance', { site: 'mine-007', start: now + 60_000, end: now + 120_000, reason: 'fan replacement' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const changed = await gw.post(`/api/maintenance/${id}`, { end: now + 180_000, reason: 'fan replacement, second shift' }, undefined, 'PATCH');
    expect(changed.status).toBe(200);
    expect((await gw.post(`/api/maintenance/${id}/end`, undefined)).status).toBe(200);

    const rows = ((await gw.api('/api/audit?site=mine-007')).body.records as Array<Record<string, any>>).filter((r) => r.windowId === id);
    expect(rows.map((r) => [r.kind, r.type, r.actor])).toEqual([
      ['maintenance', 'created', 'admin'],
      ['maintenance', 'changed', 'admin'],
      ['maintenance', 'ended', 'admin'],
    ]);
    expect(rows[0]!.detail).toEqual({ start: now + 60_000, end: now + 120_000 });
    expect(rows[1]!.detail).toEqual({
      before: { start: now + 60_000, end: now + 120_000, reason: 'fan replacement' },
      after: { start: now + 60_000, end: now + 180_000, reason: 'fan replacement, second shift' },
    });
    expect(rows[1]!.note).toBe('fan replacement, second shift');
  });

  it('answers 409 when an ended window is changed or ended again, and audits nothing', async () => {
    const now = Date.now();
    const { body: w } = await gw.post('/api/maintenance', { site: 'mine-007', start: now, end: now + 60_000, reason: 'short job' });
    await gw.post(`/api/maintenance/${w.id}/end`, undefined);
    const before = (await gw.api('/api/audit')).body.records.length;
    expect((await gw.post(`/api/maintenance/${w.id}/end`, undefined)).status).toBe(409);
    expect((await gw.post(`/api/maintenance/${w.id}`, { reason: 'late edit' }, undefined, 'PATCH')).status).toBe(409);
    expect((await gw.api('/api/audit')).body.records.length).toBe(before);
  });
});

describe('verifying the chain', () => {
  it('answers ok with the row count and the last hash while the trail is intact', async () => {
    const all = (await gw.api('/api/audit')).body.records;
    const res = await gw.api('/api/audit/verify');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, rows: all.length, lastHash: all.at(-1).hash });
  });

  it('refuses an UPDATE or DELETE of an audit row while the triggers are in place', () => {
    const db = openStateFile();
    try {
      expect(() => db.prepare(`UPDATE audit SET note = 'x' WHERE seq = 1`).run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit WHERE seq = 1').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('names the row whose note was altered directly in the database', async () => {
    const target = (await gw.api(`/api/audit?event=${mineEvent}`)).body.records[1];
    const db = openStateFile();
    try {
      db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
      db.prepare('UPDATE audit SET note = ? WHERE seq = ?').run('nobody was evacuated', target.seq);
    } finally {
      db.close();
    }
    const res = await gw.api('/api/audit/verify');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, seq: target.seq });
    expect(res.body.reason).toContain(`row ${target.seq}`);
  });

  it('reports the broken link after the altered row, naming both, when the attacker also rewrites its hash', async () => {
    const rows = (await gw.api('/api/audit')).body.records as Array<Record<string, any>>;
    const altered = rows.find((r) => r.note === 'nobody was evacuated')!;
    // Rewrite the altered row's own hash the way the gateway computes it; the next row still links to the old one.
    const canonical = JSON.stringify([altered.seq, altered.prevHash, altered.kind, altered.eventId, altered.windowId, altered.site, altered.device, altered.type, altered.at, altered.actor, altered.note, altered.severity, altered.value, altered.detail === null ? null : JSON.stringify(altered.detail)]);
    const forged = createHash('sha256').update(canonical).digest('hex');
    const db = openStateFile();
    try {
      db.prepare('UPDATE audit SET hash = ? WHERE seq = ?').run(forged, altered.seq);
    } finally {
      db.close();
    }
    const res = (await gw.api('/api/audit/verify')).body;
    expect(res.ok).toBe(false);
    expect(res.seq).toBe(altered.seq + 1);
    expect(res.reason).toContain(`row ${altered.seq}`);
  });
});
