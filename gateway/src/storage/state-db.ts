import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type StateDb = Database.Database;

// Each entry migrates the schema one version up; applied in order, never edited once shipped.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE events (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     rule TEXT NOT NULL,
     rule_version TEXT NOT NULL,
     item TEXT NOT NULL,
     title TEXT NOT NULL,
     site TEXT NOT NULL,
     device TEXT NOT NULL,
     sector TEXT NOT NULL,
     metric TEXT,
     camera TEXT,
     detection_type TEXT,
     severity TEXT NOT NULL,
     value REAL NOT NULL,
     threshold REAL,
     message TEXT NOT NULL,
     state TEXT NOT NULL,
     raised_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     acknowledged_at INTEGER,
     resolved_at INTEGER,
     closed_at INTEGER,
     disposition TEXT,
     suppressed INTEGER NOT NULL DEFAULT 0,
     last_overdue_at INTEGER,
     evidence TEXT
   );
   CREATE INDEX events_key_state ON events (key, state);
   CREATE INDEX events_raised ON events (raised_at);
   CREATE INDEX events_site_raised ON events (site, raised_at);
   -- The audit trail: event transitions and maintenance-window changes, append-only,
   -- each row carrying the hash of the previous row and of its own content.
   CREATE TABLE audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     event_id TEXT,
     window_id TEXT,
     site TEXT NOT NULL,
     device TEXT,
     type TEXT NOT NULL,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     note TEXT,
     severity TEXT,
     value REAL,
     detail TEXT,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE INDEX audit_event ON audit (event_id, seq);
   CREATE INDEX audit_at ON audit (at);
   CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
   CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;`,
  `CREATE TABLE users (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     role TEXT NOT NULL,
     sites TEXT,
     token_hash TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL,
     created_by TEXT NOT NULL,
     disabled_at INTEGER
   );
   CREATE TABLE maintenance_windows (
     id TEXT PRIMARY KEY,
     site TEXT NOT NULL,
     device TEXT,
     starts_at INTEGER NOT NULL,
     ends_at INTEGER NOT NULL,
     reason TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     ended_at INTEGER
   );
   CREATE TABLE webhooks (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     secret TEXT NOT NULL,
     sites TEXT,
     items TEXT,
     min_severity TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     disabled_at INTEGER
   );
   CREATE TABLE deliveries (
     id TEXT PRIMARY KEY,
     webhook_id TEXT NOT NULL REFERENCES webhooks (id),
     audit_seq INTEGER NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_attempt_at INTEGER,
     last_error TEXT,
     created_at INTEGER NOT NULL,
     delivered_at INTEGER
   );
   CREATE INDEX deliveries_pending ON deliveries (webhook_id, status, audit_seq);`,
  // The gateway's own clock when an event was recorded: overdue limits count from it, not from
  // the device's timestamp, which may be off by the allowed skew.
  `ALTER TABLE events ADD COLUMN recorded_at INTEGER;`,
  // Issue 16: enterprise profiles set through the API (a NULL column keeps the registry's
  // value), departments on users and events (referral), inspection plans and records, and the
  // last risk level of each site (a rise raises one event, also across a restart).
  `CREATE TABLE site_profiles (
     site TEXT PRIMARY KEY,
     credit_grade TEXT,
     key_supervision INTEGER,
     departments TEXT,
     updated_at INTEGER NOT NULL,
     updated_by TEXT NOT NULL
   );
   ALTER TABLE users ADD COLUMN departments TEXT;
   ALTER TABLE users ADD COLUMN conflicts TEXT;
   ALTER TABLE events ADD COLUMN department TEXT;
   CREATE TABLE inspection_plans (
     id TEXT PRIMARY KEY,
     title TEXT NOT NULL,
     params TEXT NOT NULL,
     seed TEXT NOT NULL,
     seed_hash TEXT NOT NULL,
     state TEXT NOT NULL,
     policy TEXT,
     policy_version TEXT,
     pool TEXT,
     pool_hash TEXT,
     draw TEXT,
     draw_hash TEXT,
     created_at INTEGER NOT NULL,
     created_by TEXT NOT NULL,
     drawn_at INTEGER,
     drawn_by TEXT
   );
   CREATE TABLE inspection_records (
     id TEXT PRIMARY KEY,
     plan_id TEXT NOT NULL REFERENCES inspection_plans (id),
     site TEXT NOT NULL,
     item TEXT NOT NULL,
     outcome TEXT NOT NULL,
     deadline INTEGER,
     note TEXT,
     pictures TEXT,
     started_at INTEGER NOT NULL,
     ended_at INTEGER NOT NULL,
     recorded_at INTEGER NOT NULL,
     recorded_by TEXT NOT NULL,
     rectified_at INTEGER,
     overdue_at INTEGER,
     UNIQUE (plan_id, site, item)
   );
   CREATE INDEX inspection_records_site ON inspection_records (site, ended_at);
   CREATE TABLE risk_levels (
     site TEXT PRIMARY KEY,
     level TEXT NOT NULL,
     score REAL NOT NULL,
     at INTEGER NOT NULL
   );`,
  // Late data (buffered readings re-sent after an outage): an event's raised_at is the readings'
  // time, recorded_at its detectedAt on the gateway clock, and `late` says they lie further apart
  // than the clock skew. Events recorded before these existed were learned when raised.
  `UPDATE events SET recorded_at = raised_at WHERE recorded_at IS NULL;
   ALTER TABLE events ADD COLUMN late INTEGER NOT NULL DEFAULT 0;`,
];

/** Opens (creating when absent) the gateway's embedded state database in the data dir. */
export function openStateDb(dataDir: string, file = 'state.db'): StateDb {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, file));
  // WAL with synchronous=NORMAL: a committed transaction survives a process crash;
  // FULL would also survive a power cut at ~2x the commit cost (see issue on durability).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: StateDb): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export function kvGet(db: StateDb, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function kvSet(db: StateDb, key: string, value: string): void {
  db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}

/** kvSet for text given as UTF-8 bytes (a large value built without a JS string); kvGet reads it back as text. */
export function kvSetUtf8(db: StateDb, key: string, value: Buffer): void {
  db.prepare('INSERT INTO kv (key, value) VALUES (?, CAST(? AS TEXT)) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}
