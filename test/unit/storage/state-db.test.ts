import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventStore } from '../../../gateway/src/events/index.js';
import { kvGet, kvSetUtf8, MIGRATIONS, openStateDb } from '../../../gateway/src/storage/state-db.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-statedb-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A state database as a gateway left it before events knew detectedAt and late (schema version 3). */
function oldDatabase(): void {
  const db = new Database(join(dir, 'state.db'));
  for (const m of MIGRATIONS.slice(0, 3)) db.exec(m);
  db.pragma('user_version = 3');
  db.prepare(`INSERT INTO events (id, key, rule, rule_version, item, title, site, device, sector, severity, value, message, state, raised_at, updated_at, recorded_at)
    VALUES ('ev-old', 'r|s|d', 'r', 'v1', 'HC-01', 't', 's', 'd', 'mining', 'major', 1, 'm', 'open', 1000, 1000, NULL),
           ('ev-rec', 'r|s|e', 'r', 'v1', 'HC-01', 't', 's', 'e', 'mining', 'major', 1, 'm', 'open', 2000, 2000, 2500)`).run();
  db.close();
}

describe('state database migrations', () => {
  it('keeps the events of a gateway upgraded in place, giving old events detectedAt and late: false', () => {
    oldDatabase();
    const db = openStateDb(dir);
    const store = createEventStore(db);
    expect(store.list({ limit: 10 }).map((e) => [e.id, e.raisedAt, e.detectedAt, e.late])).toEqual([
      ['ev-rec', 2000, 2500, false],
      ['ev-old', 1000, 1000, false],
    ]);
    db.close();
  });

  it('brings an old database to the current schema version', () => {
    oldDatabase();
    openStateDb(dir).close();
    const fresh = openStateDb(join(dir, 'fresh'));
    const current = fresh.pragma('user_version', { simple: true });
    fresh.close();
    const raw = new Database(join(dir, 'state.db'));
    expect(raw.pragma('user_version', { simple: true })).toBe(current);
    expect(current).toBe(MIGRATIONS.length);
    expect((raw.prepare('PRAGMA table_info(events)').all() as { name: string }[]).map((c) => c.name)).toContain('late');
    raw.close();
  });
});

describe('the key-value table', () => {
  it('reads back as text what was stored as UTF-8 bytes, over a value stored before', () => {
    const db = openStateDb(dir);
    const text = JSON.stringify({ site: '厂区一', devices: Array.from({ length: 2000 }, (_, i) => `储罐-${i}`) });
    kvSetUtf8(db, 'k', Buffer.from('{"old":true}'));
    kvSetUtf8(db, 'k', Buffer.from(text, 'utf8'));
    expect(kvGet(db, 'k')).toBe(text);
    db.close();
  });
});
