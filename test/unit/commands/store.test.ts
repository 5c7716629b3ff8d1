import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filterMatches } from '../../../gateway/src/commands/index.js';
import { createCommandStore, type CommandStore } from '../../../gateway/src/commands/store.js';
import { createAuditLog, type AuditLog } from '../../../gateway/src/events/index.js';
import { openStateDb, type StateDb } from '../../../gateway/src/storage/index.js';

let dir: string;
let db: StateDb;
let audit: AuditLog;
let store: CommandStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'commands-store-'));
  db = openStateDb(dir);
  audit = createAuditLog(db);
  store = createCommandStore({ db, audit, keepPerDevice: 3 });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const add = (at: number, device = 'gas-01') => store.create({ site: 'hb-chem-001', device, name: 'read', payload: {}, transport: 'mqtt', by: 'sup', issuedAt: at, expiresAt: at + 1000 });

describe('the command store', () => {
  it('moves a command along its life and refuses a step back, writing one audit row per step', () => {
    const c = add(1);
    expect(store.move(c.id, 'delivered', 2, 'device').ok).toBe(true);
    expect(store.move(c.id, 'replied', 3, 'device', undefined, { status: 'ok', at: 3 })).toMatchObject({ ok: true, record: { state: 'replied' } });
    expect(store.move(c.id, 'expired', 4, 'system')).toMatchObject({ ok: false, reason: 'not_allowed' });
    expect(store.move('nope', 'delivered', 5, 'device')).toEqual({ ok: false, reason: 'unknown' });
    expect(store.get(c.id)!.transitions.map((t) => [t.state, t.at])).toEqual([['queued', 1], ['delivered', 2], ['replied', 3]]);
    expect(audit.list({ limit: 10 }).map((r) => r.type)).toEqual(['command.queued', 'command.delivered', 'command.replied']);
    expect(audit.verify().ok).toBe(true);
  });

  it('lists queued commands oldest first and those past their TTL as due', () => {
    const a = add(10);
    const b = add(20);
    store.move(b.id, 'delivered', 21, 'device');
    expect(store.waiting('gas-01').map((r) => r.id)).toEqual([a.id]);
    expect(store.due(1015, 10).map((r) => r.id)).toEqual([a.id]);
    expect(store.due(2000, 10).map((r) => r.id)).toEqual([a.id, b.id]);
  });

  it('keeps the newest finished commands of a device and every waiting one', () => {
    const old = [1, 2, 3, 4].map((t) => add(t));
    for (const c of old) store.move(c.id, 'expired', 100, 'system');
    const waiting = add(5);
    add(6, 'gas-02');
    const left = store.ofDevice('gas-01', 100).map((r) => r.id);
    expect(left).toContain(waiting.id);
    expect(left).not.toContain(old[0]!.id);
    expect(left).toHaveLength(4);
  });
});

describe('MQTT filter matching', () => {
  it('matches + as one level and # as the rest, and nothing else', () => {
    const t = 'sites/s/devices/d/commands/read';
    expect(filterMatches('sites/s/devices/d/commands/#', t)).toBe(true);
    expect(filterMatches('sites/s/devices/d/commands/+', t)).toBe(true);
    expect(filterMatches('sites/s/devices/d/commands/read', t)).toBe(true);
    expect(filterMatches('sites/s/devices/d/commands/snapshot', t)).toBe(false);
    expect(filterMatches('sites/s/devices/d/commands', t)).toBe(false);
    expect(filterMatches('sites/s/devices/d/commands/+/x', t)).toBe(false);
  });
});
