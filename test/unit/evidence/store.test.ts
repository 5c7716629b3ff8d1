import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvidenceStore, evidenceCapWatcher, retentionSchema, sniffPicture, type EvidenceStore } from '../../../gateway/src/evidence/index.js';
import { createAuditLog } from '../../../gateway/src/events/audit.js';
import type { RuleTransition } from '../../../gateway/src/rules/index.js';
import { openStateDb, type StateDb } from '../../../gateway/src/storage/index.js';
import { makeJpeg, NOT_A_PICTURE, PNG_HEAD, WEBP_HEAD } from '../../helpers/pictures.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

describe('picture type by magic bytes', () => {
  it('recognises JPEG, PNG and WebP by their first bytes', () => {
    expect(sniffPicture(makeJpeg())).toBe('image/jpeg');
    expect(sniffPicture(PNG_HEAD)).toBe('image/png');
    expect(sniffPicture(WEBP_HEAD)).toBe('image/webp');
  });

  it('refuses HTML, a truncated header and a RIFF file that is not WebP', () => {
    expect(sniffPicture(NOT_A_PICTURE)).toBeNull();
    expect(sniffPicture(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffPicture(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt ')]))).toBeNull();
  });
});

describe('retention settings', () => {
  it('defaults kitchens to 7 days and hazardous chemicals to 30 days', () => {
    const r = retentionSchema.parse(undefined);
    expect(r.food_service).toBe(7 * DAY);
    expect(r.hazardous_chemicals).toBe(30 * DAY);
  });

  it('takes a longer setting per sector', () => {
    expect(retentionSchema.parse('food_service=14d,mining=90d')).toMatchObject({ food_service: 14 * DAY, mining: 90 * DAY });
  });

  it('refuses a kitchen retention under 7 days, naming the minimum', () => {
    const r = retentionSchema.safeParse('food_service=3d');
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain('at least 7 days');
  });

  it('refuses an unknown sector', () => {
    expect(retentionSchema.safeParse('bakeries=9d').success).toBe(false);
  });
});

describe('evidence store', () => {
  let dir: string;
  let db: StateDb;
  let now: number;
  let store: EvidenceStore;
  const make = (over: Partial<Parameters<typeof createEvidenceStore>[0]> = {}) =>
    createEvidenceStore({ dataDir: dir, db, clock: () => now, maxPictureBytes: 64 * 1024, capBytes: 1024 * 1024, retention: retentionSchema.parse(undefined), ...over });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-evidence-'));
    db = openStateDb(dir);
    now = T0;
    store = make();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a picture under its SHA-256 and gives the same bytes back', async () => {
    const jpg = makeJpeg(3);
    const put = await store.put(jpg, { site: 'k1', sector: 'food_service', declared: 'image/jpeg' });
    expect(put.ok).toBe(true);
    if (!put.ok) return;
    expect(put.sha256).toMatch(/^[0-9a-f]{64}$/);
    const got = await store.get(put.sha256);
    expect(got?.contentType).toBe('image/jpeg');
    expect(readFileSync(got!.path).equals(jpg)).toBe(true);
    expect(got!.path).toContain(join('evidence', put.sha256.slice(0, 2), put.sha256));
  });

  it('keeps one file for the same picture sent twice, and records both sites', async () => {
    const jpg = makeJpeg(4);
    const a = await store.put(jpg, { site: 'k1', sector: 'food_service' });
    const b = await store.put(jpg, { site: 'k2', sector: 'food_service' });
    expect(a.ok && b.ok && a.sha256 === b.sha256 && a.stored && !b.stored).toBe(true);
    expect((await store.get((a as { sha256: string }).sha256))!.sites.sort()).toEqual(['k1', 'k2']);
    expect(store.usage().files).toBe(1);
  });

  it('refuses a picture over the size limit', async () => {
    const put = await store.put(Buffer.concat([makeJpeg(), Buffer.alloc(64 * 1024)]), { site: 'k1', sector: 'food_service' });
    expect(put).toMatchObject({ ok: false, reason: 'picture_too_large' });
  });

  it('refuses bytes that are not an image whatever the declared type', async () => {
    expect(await store.put(NOT_A_PICTURE, { site: 'k1', sector: 'food_service', declared: 'image/jpeg' })).toMatchObject({ ok: false, reason: 'not_a_picture' });
  });

  it('refuses a PNG declared as a JPEG', async () => {
    expect(await store.put(PNG_HEAD, { site: 'k1', sector: 'food_service', declared: 'image/jpeg' })).toMatchObject({ ok: false, reason: 'picture_type_mismatch' });
  });

  it('keeps a kitchen picture 7 days and removes it on the first sweep after', async () => {
    const put = await store.put(makeJpeg(5), { site: 'k1', sector: 'food_service' });
    const sha = (put as { sha256: string }).sha256;
    now = T0 + 7 * DAY - 1;
    expect((await store.sweep()).deleted).toBe(0);
    expect(await store.get(sha)).toBeDefined();
    now = T0 + 7 * DAY;
    expect((await store.sweep()).deleted).toBe(1);
    expect(await store.get(sha)).toBeUndefined();
    expect(existsSync(join(dir, 'evidence', sha.slice(0, 2), sha))).toBe(false);
  });

  it('keeps a hazardous-chemicals picture beyond 7 days until 30 days have passed', async () => {
    const put = await store.put(makeJpeg(6), { site: 'c1', sector: 'hazardous_chemicals' });
    const sha = (put as { sha256: string }).sha256;
    now = T0 + 29 * DAY;
    await store.sweep();
    expect(await store.get(sha)).toBeDefined();
    now = T0 + 30 * DAY;
    await store.sweep();
    expect(await store.get(sha)).toBeUndefined();
  });

  it('never removes the picture of an event that is not closed, and removes it once the event is closed', async () => {
    const put = await store.put(makeJpeg(7), { site: 'k1', sector: 'food_service' });
    const sha = (put as { sha256: string }).sha256;
    db.prepare(`INSERT INTO events (id, key, rule, rule_version, item, title, site, device, sector, severity, value, message, state, raised_at, updated_at, evidence)
      VALUES ('ev-1', 'k', 'r', '1', 'I', 't', 'k1', 'cam', 'food_service', 'major', 1, 'm', 'resolved', ?, ?, ?)`).run(T0, T0, JSON.stringify([{ ts: T0, confidence: 0.9, picture: sha }]));
    now = T0 + 60 * DAY;
    expect(await store.sweep()).toMatchObject({ deleted: 0, pinned: 1 });
    expect(await store.get(sha)).toBeDefined();
    db.prepare(`UPDATE events SET state = 'closed' WHERE id = 'ev-1'`).run();
    expect((await store.sweep()).deleted).toBe(1);
  });

  it('keeps a picture named only in the audit row of an unclosed event (its evidence list moved on)', async () => {
    const put = await store.put(makeJpeg(13), { site: 'k1', sector: 'food_service' });
    const sha = (put as { sha256: string }).sha256;
    db.prepare(`INSERT INTO events (id, key, rule, rule_version, item, title, site, device, sector, severity, value, message, state, raised_at, updated_at, evidence)
      VALUES ('ev-2', 'k2', 'r', '1', 'I', 't', 'k1', 'cam', 'food_service', 'major', 1, 'm', 'open', ?, ?, '[]')`).run(T0, T0);
    createAuditLog(db).append({ kind: 'transition', eventId: 'ev-2', windowId: null, site: 'k1', device: 'cam', type: 'raised', at: T0, actor: 'r', note: null, severity: 'major', value: 1, detail: { pictures: [sha] } });
    now = T0 + 60 * DAY;
    expect(await store.sweep()).toMatchObject({ deleted: 0, pinned: 1 });
  });

  it('keeps a picture while another site that sent it still holds it in retention', async () => {
    const jpg = makeJpeg(8);
    await store.put(jpg, { site: 'k1', sector: 'food_service' });
    now = T0 + 5 * DAY;
    const put = await store.put(jpg, { site: 'c1', sector: 'hazardous_chemicals' });
    now = T0 + 20 * DAY;
    await store.sweep();
    const got = await store.get((put as { sha256: string }).sha256);
    expect(got?.sites).toEqual(['c1']);
  });

  it('refuses a new picture at the disk cap and raises, then resolves, the evidence_disk_full event', async () => {
    // 1000-byte pictures (a JPEG start, then filler): room for two under a 2010-byte cap.
    const pic = (seed: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(996, seed)]);
    store = make({ capBytes: 2010, maxPictureBytes: 1000 });
    const transitions: RuleTransition[] = [];
    let open = false;
    const watch = evidenceCapWatcher(store, { isOpen: () => open, apply: (t) => (transitions.push(t), (open = t.type === 'raised')) });
    expect((await store.put(pic(1), { site: 'k1', sector: 'food_service' })).ok).toBe(true);
    watch(now);
    expect(transitions).toHaveLength(0);
    expect((await store.put(pic(2), { site: 'k1', sector: 'food_service' })).ok).toBe(true);
    watch(now);
    expect(transitions.map((t) => [t.type, t.rule])).toEqual([['raised', 'system.evidence_disk_full']]);
    expect(await store.put(pic(3), { site: 'k1', sector: 'food_service' })).toMatchObject({ ok: false, reason: 'evidence_disk_full' });
    now = T0 + 8 * DAY;
    await store.sweep();
    watch(now);
    expect(transitions.map((t) => t.type)).toEqual(['raised', 'resolved']);
    expect((await store.put(pic(3), { site: 'k1', sector: 'food_service' })).ok).toBe(true);
  });

  it('finds the stored pictures and their total again after a restart', async () => {
    const put = await store.put(makeJpeg(12), { site: 'k1', sector: 'food_service' });
    const again = make();
    expect(again.usage().bytes).toBe((put as { bytes: number }).bytes);
    expect(await again.get((put as { sha256: string }).sha256)).toBeDefined();
  });
});
