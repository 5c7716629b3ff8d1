import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditEntry, type AuditLog } from '../../../gateway/src/events/index.js';
import { openStateDb, type StateDb } from '../../../gateway/src/storage/index.js';

let dir: string;
let db: StateDb;
let audit: AuditLog;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-audit-unit-'));
  db = openStateDb(dir);
  audit = createAuditLog(db);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  kind: 'transition',
  eventId: `ev-${i}`,
  windowId: null,
  site: i % 2 ? 'site-a' : 'site-b',
  device: 'dev-1',
  type: 'raised',
  at: 1_700_000_000_000 + i * 1000,
  actor: 'rule.x',
  note: `note ${i}`,
  severity: 'critical',
  value: i + 0.5,
  detail: i % 3 === 0 ? { threshold: 50 } : null,
  ...over,
});

function appendMany(n: number) {
  for (let i = 1; i <= n; i++) audit.append(entry(i));
}

/** Tampering the way someone with the database file would: triggers off, then a raw write. */
function tamper(sql: string, ...params: unknown[]) {
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  db.prepare(sql).run(...params);
}

describe('the audit hash chain', () => {
  it('numbers rows from 1 and links the first one to a genesis hash of 64 zeros', () => {
    const first = audit.append(entry(1));
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe('0'.repeat(64));
  });

  it('links each row to the hash of the row before', () => {
    appendMany(4);
    const rows = audit.list({ limit: 10 });
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
  });

  it('hashes with SHA-256 over the seq, the previous hash and every stored column', () => {
    const r = audit.append(entry(3));
    const canonical = JSON.stringify([r.seq, r.prevHash, r.kind, r.eventId, r.windowId, r.site, r.device, r.type, r.at, r.actor, r.note, r.severity, r.value, JSON.stringify(r.detail)]);
    expect(r.hash).toBe(createHash('sha256').update(canonical).digest('hex'));
  });

  it('verifies an untouched chain and answers its length and last hash', () => {
    appendMany(5);
    const last = audit.list({ limit: 10 }).at(-1)!;
    expect(audit.verify()).toEqual({ ok: true, rows: 5, lastHash: last.hash });
  });

  it('verifies an empty chain', () => {
    expect(audit.verify()).toEqual({ ok: true, rows: 0, lastHash: '0'.repeat(64) });
  });

  it('refuses UPDATE and DELETE through its triggers', () => {
    appendMany(1);
    expect(() => db.prepare(`UPDATE audit SET actor = 'x'`).run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
  });

  const columns: Array<[string, unknown]> = [
    ['note', 'rewritten'],
    ['actor', 'someone-else'],
    ['value', 1.25],
    ['at', 1],
    ['severity', 'info'],
    ['type', 'closed'],
    ['site', 'site-z'],
    ['detail', '{"disposition":"false_alarm"}'],
  ];
  for (const [column, value] of columns) {
    it(`names the row whose ${column} was changed`, () => {
      appendMany(5);
      tamper(`UPDATE audit SET ${column} = ? WHERE seq = 3`, value);
      expect(audit.verify()).toMatchObject({ ok: false, seq: 3, reason: expect.stringContaining('row 3 was altered') });
    });
  }

  it('names the gap when a row in the middle was deleted', () => {
    appendMany(5);
    tamper('DELETE FROM audit WHERE seq = 2');
    expect(audit.verify()).toMatchObject({ ok: false, seq: 3, reason: expect.stringContaining('row 2 is missing') });
  });

  it('names the broken link when a row was rewritten together with its own hash', () => {
    appendMany(5);
    const r = audit.list({ limit: 10 })[1]!;
    const forged = { ...r, note: 'rewritten' };
    const canonical = JSON.stringify([forged.seq, forged.prevHash, forged.kind, forged.eventId, forged.windowId, forged.site, forged.device, forged.type, forged.at, forged.actor, forged.note, forged.severity, forged.value, forged.detail === null ? null : JSON.stringify(forged.detail)]);
    tamper('UPDATE audit SET note = ?, hash = ? WHERE seq = 2', 'rewritten', createHash('sha256').update(canonical).digest('hex'));
    expect(audit.verify()).toMatchObject({ ok: false, seq: 3, reason: expect.stringContaining('row 3 does not link to the hash of row 2') });
  });

  it('keeps appending on the chain after the database is reopened', () => {
    appendMany(2);
    db.close();
    db = openStateDb(dir);
    audit = createAuditLog(db);
    expect(audit.append(entry(3)).seq).toBe(3);
    expect(audit.verify()).toMatchObject({ ok: true, rows: 3 });
  });
});

describe('listing the audit trail', () => {
  it('filters by site, event, time and seq, oldest first', () => {
    appendMany(6);
    expect(audit.list({ site: 'site-a', limit: 10 }).map((r) => r.seq)).toEqual([1, 3, 5]);
    expect(audit.list({ event: 'ev-4', limit: 10 }).map((r) => r.seq)).toEqual([4]);
    expect(audit.list({ since: entry(2).at, until: entry(4).at, limit: 10 }).map((r) => r.seq)).toEqual([2, 3]);
    expect(audit.list({ afterSeq: 4, limit: 10 }).map((r) => r.seq)).toEqual([5, 6]);
    expect(audit.list({ limit: 2 }).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('gives back the detail as it was appended', () => {
    audit.append(entry(3));
    expect(audit.ofEvent('ev-3')[0]!.detail).toEqual({ threshold: 50 });
  });
});
