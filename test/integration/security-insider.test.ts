// An insider with the data folder edits state.db directly (issue 20, finding 4): the events
// table is checked against the hash-chained transitions, and sequence numbers are never reused.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { raise, resolveAndClose } from '../helpers/events.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

/** A gateway with one closed event: gas_lel 55 on gas-01, closed as a confirmed violation. */
async function withClosedEvent(): Promise<{ gw: TestGateway; id: string }> {
  gw = await startTestGateway();
  const id = await raise(gw, 'gas-01', { gas_lel: 55 });
  await resolveAndClose(gw, id, 'confirmed_violation');
  return { gw, id };
}

/** Runs `edit` on the gateway's own state.db the way someone with file access would. */
function tamper(g: TestGateway, edit: (db: Database.Database) => void): void {
  const db = new Database(join(g.dataDir, 'state.db'));
  try {
    edit(db);
  } finally {
    db.close();
  }
}

describe('an insider editing state.db', () => {
  it('answers verify ok for an untouched database with events', async () => {
    const { gw: g } = await withClosedEvent();
    expect((await g.api('/api/audit/verify')).body).toMatchObject({ ok: true });
  });

  it("names an event whose disposition, severity and value were changed in the events table", async () => {
    const { gw: g, id } = await withClosedEvent();
    tamper(g, (db) => db.prepare(`UPDATE events SET disposition = 'false_alarm', severity = 'info', value = 12 WHERE id = ?`).run(id));
    const res = (await g.api('/api/audit/verify')).body;
    expect(res.ok).toBe(false);
    expect(res.reason).toContain(id);
    expect(res.reason).toMatch(/severity.*value.*disposition|disposition/);
  });

  it('names an event whose row was deleted from the events table', async () => {
    const { gw: g, id } = await withClosedEvent();
    tamper(g, (db) => db.prepare('DELETE FROM events WHERE id = ?').run(id));
    const res = (await g.api('/api/audit/verify')).body;
    expect(res.ok).toBe(false);
    expect(res.reason).toContain(`${id} was deleted`);
  });

  it('names an event row that has no transitions in the trail (inserted by hand)', async () => {
    const { gw: g, id } = await withClosedEvent();
    tamper(g, (db) => {
      const row = db.prepare('SELECT * FROM events WHERE id = ?').get(id) as Record<string, unknown>;
      const copy = { ...row, id: 'ev-forged-0001', key: 'forged' };
      const cols = Object.keys(copy);
      db.prepare(`INSERT INTO events (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(copy);
    });
    const res = (await g.api('/api/audit/verify')).body;
    expect(res.ok).toBe(false);
    expect(res.reason).toContain('ev-forged-0001');
  });

  it('never gives out a sequence number again after the newest audit rows were removed', async () => {
    const { gw: g, id } = await withClosedEvent();
    let top = 0;
    tamper(g, (db) => {
      top = (db.prepare('SELECT MAX(seq) AS s FROM audit').get() as { s: number }).s;
      db.exec('DROP TRIGGER audit_no_delete');
      db.prepare('DELETE FROM audit WHERE seq = ?').run(top);
    });
    const c = await g.post(`/api/events/${id}/comments`, { note: 'after the removal' });
    expect(c.status).toBe(200);
    expect(c.body.transition.seq).toBeGreaterThan(top);
  });

  it('reports removed newest audit rows as missing', async () => {
    const { gw: g } = await withClosedEvent();
    tamper(g, (db) => {
      const top = (db.prepare('SELECT MAX(seq) AS s FROM audit').get() as { s: number }).s;
      db.exec('DROP TRIGGER audit_no_delete');
      db.prepare('DELETE FROM audit WHERE seq = ?').run(top);
    });
    const res = (await g.api('/api/audit/verify')).body;
    expect(res.ok).toBe(false);
    expect(res.reason).toMatch(/missing/);
  });
});
