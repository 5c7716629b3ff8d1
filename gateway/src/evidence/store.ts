import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sector } from '../domain/index.js';
import type { StateDb } from '../storage/index.js';
import type { Retention } from './retention.js';
import { sniffPicture, type PictureType } from './magic.js';

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export interface EvidenceOptions {
  /** The gateway data dir; pictures go to `<dataDir>/evidence/<first two hex>/<sha256>`. */
  dataDir: string;
  db: StateDb;
  clock: () => number;
  /** Largest picture accepted, in bytes. */
  maxPictureBytes: number;
  /** Total bytes of stored pictures; a picture that would pass it is refused. */
  capBytes: number;
  retention: Retention;
}

export type PutResult =
  | { ok: true; sha256: string; contentType: PictureType; bytes: number; stored: boolean }
  | { ok: false; reason: 'picture_too_large' | 'not_a_picture' | 'picture_type_mismatch' | 'evidence_disk_full'; detail: string };

export interface StoredPicture {
  sha256: string;
  contentType: PictureType;
  bytes: number;
  path: string;
  /** The sites that sent it; a user may see it when they may see one of them. */
  sites: string[];
}

export interface SweepResult {
  deleted: number;
  freedBytes: number;
  /** Expired pictures kept because an event that is not closed holds them. */
  pinned: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS evidence (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    stored_at INTEGER NOT NULL
  );
  -- One row per site that sent the picture; retention runs per site's sector.
  CREATE TABLE IF NOT EXISTS evidence_sites (
    sha256 TEXT NOT NULL,
    site TEXT NOT NULL,
    sector TEXT NOT NULL,
    stored_at INTEGER NOT NULL,
    PRIMARY KEY (sha256, site)
  );`;

export type EvidenceStore = ReturnType<typeof createEvidenceStore>;

/**
 * Pictures kept as evidence, content-addressed by SHA-256. `put` resolves only once the file
 * and its index row are durable, so a source may acknowledge after it.
 */
export function createEvidenceStore(opts: EvidenceOptions) {
  const root = join(opts.dataDir, 'evidence');
  mkdirSync(root, { recursive: true });
  opts.db.exec(SCHEMA);
  const q = {
    get: opts.db.prepare('SELECT content_type, bytes FROM evidence WHERE sha256 = ?'),
    sitesOf: opts.db.prepare('SELECT site FROM evidence_sites WHERE sha256 = ?'),
    insert: opts.db.prepare('INSERT OR IGNORE INTO evidence (sha256, content_type, bytes, stored_at) VALUES (?, ?, ?, ?)'),
    upsertSite: opts.db.prepare(
      'INSERT INTO evidence_sites (sha256, site, sector, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256, site) DO UPDATE SET stored_at = excluded.stored_at, sector = excluded.sector',
    ),
    total: opts.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS files FROM evidence'),
    siteRows: opts.db.prepare('SELECT sha256, sector, stored_at FROM evidence_sites'),
    deleteSite: opts.db.prepare('DELETE FROM evidence_sites WHERE sha256 = ? AND site = ?'),
    orphans: opts.db.prepare('SELECT e.sha256, e.bytes FROM evidence e WHERE NOT EXISTS (SELECT 1 FROM evidence_sites s WHERE s.sha256 = e.sha256)'),
    delete: opts.db.prepare('DELETE FROM evidence WHERE sha256 = ?'),
    expiredSites: opts.db.prepare('SELECT sha256, site, sector, stored_at FROM evidence_sites'),
    // Events hold their pictures in the evidence JSON; only events that are not closed pin them.
    unclosedEvidence: opts.db.prepare(`SELECT evidence FROM events WHERE state != 'closed' AND evidence LIKE '%"picture"%'`),
    // An escalation replaces the event's evidence with its last 20 detections; the pictures of
    // earlier raises and escalations stay named in their audit rows, and pin as well.
    unclosedAudited: opts.db.prepare(`SELECT a.detail FROM audit a JOIN events e ON e.id = a.event_id WHERE e.state != 'closed' AND a.detail LIKE '%"pictures"%'`),
  };
  // Inspection records (issue 16) are kept for good and published: the pictures they name are
  // pinned for as long as the record exists. (A state db without inspections has no such table.)
  const hasRecords = opts.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inspection_records'`).get() !== undefined;
  const recordPictures = hasRecords ? opts.db.prepare(`SELECT pictures FROM inspection_records WHERE pictures IS NOT NULL`) : undefined;
  let usage = (q.total.get() as { bytes: number }).bytes;
  const pathOf = (sha: string) => join(root, sha.slice(0, 2), sha);

  async function writeDurably(sha: string, bytes: Buffer): Promise<void> {
    const dir = join(root, sha.slice(0, 2));
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${sha}.${randomBytes(4).toString('hex')}.tmp`);
    const fh = await open(tmp, 'w', 0o640);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, pathOf(sha));
    // The rename itself is durable only once the directory is synced.
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  function pinned(): Set<string> {
    const out = new Set<string>();
    for (const row of q.unclosedEvidence.iterate() as IterableIterator<{ evidence: string }>) {
      try {
        for (const e of JSON.parse(row.evidence) as Array<{ picture?: unknown }>) if (typeof e.picture === 'string') out.add(e.picture);
      } catch {
        /* a row that is not JSON pins nothing; it was never written by the store */
      }
    }
    const addAll = (pictures: unknown) => {
      if (Array.isArray(pictures)) for (const p of pictures) if (typeof p === 'string') out.add(p);
    };
    for (const row of q.unclosedAudited.iterate() as IterableIterator<{ detail: string }>) {
      try {
        addAll((JSON.parse(row.detail) as { pictures?: unknown }).pictures);
      } catch {
        /* as above */
      }
    }
    for (const row of (recordPictures?.iterate() ?? []) as Iterable<{ pictures: string }>) {
      try {
        addAll(JSON.parse(row.pictures));
      } catch {
        /* as above */
      }
    }
    return out;
  }

  async function sweep(now = opts.clock()): Promise<SweepResult> {
    const keep = pinned();
    let pinnedCount = 0;
    const expire = opts.db.transaction(() => {
      for (const r of q.expiredSites.all() as Array<{ sha256: string; site: string; sector: Sector; stored_at: number }>) {
        if (now - r.stored_at < opts.retention[r.sector]) continue;
        if (keep.has(r.sha256)) {
          pinnedCount++;
          continue;
        }
        q.deleteSite.run(r.sha256, r.site);
      }
      const gone = q.orphans.all() as Array<{ sha256: string; bytes: number }>;
      for (const g of gone) q.delete.run(g.sha256);
      return gone;
    });
    const gone = expire();
    let freed = 0;
    for (const g of gone) {
      await rm(pathOf(g.sha256), { force: true });
      freed += g.bytes;
    }
    usage -= freed;
    return { deleted: gone.length, freedBytes: freed, pinned: pinnedCount };
  }

  return {
    async put(bytes: Buffer, from: { site: string; sector: Sector; declared?: string }): Promise<PutResult> {
      if (bytes.length > opts.maxPictureBytes) {
        return { ok: false, reason: 'picture_too_large', detail: `picture is ${bytes.length} bytes, the limit is ${opts.maxPictureBytes}` };
      }
      const type = sniffPicture(bytes);
      if (!type) return { ok: false, reason: 'not_a_picture', detail: 'picture is not a JPEG, PNG or WebP image (checked by its first bytes)' };
      if (from.declared !== undefined && from.declared !== type) {
        return { ok: false, reason: 'picture_type_mismatch', detail: `picture declared ${from.declared} but its bytes are ${type}` };
      }
      const sha = createHash('sha256').update(bytes).digest('hex');
      const now = opts.clock();
      const known = q.get.get(sha) as { content_type: string } | undefined;
      if (!known) {
        if (usage + bytes.length > opts.capBytes) await sweep(now);
        if (usage + bytes.length > opts.capBytes) {
          return { ok: false, reason: 'evidence_disk_full', detail: `evidence store holds ${usage} bytes; its cap is ${opts.capBytes}` };
        }
        await writeDurably(sha, bytes);
        usage += bytes.length;
      }
      // better-sqlite3 commits synchronously (WAL): the row is durable when run() returns.
      opts.db.transaction(() => {
        q.insert.run(sha, type, bytes.length, now);
        q.upsertSite.run(sha, from.site, from.sector, now);
      })();
      return { ok: true, sha256: sha, contentType: type, bytes: bytes.length, stored: !known };
    },

    async get(sha: string): Promise<StoredPicture | undefined> {
      if (!SHA256_PATTERN.test(sha)) return undefined;
      const row = q.get.get(sha) as { content_type: PictureType; bytes: number } | undefined;
      if (!row) return undefined;
      const path = pathOf(sha);
      const present = await stat(path).then(() => true, () => false);
      if (!present) return undefined;
      const sites = (q.sitesOf.all(sha) as Array<{ site: string }>).map((r) => r.site);
      return { sha256: sha, contentType: row.content_type, bytes: row.bytes, path, sites };
    },

    sweep,

    usage(): { bytes: number; files: number; capBytes: number } {
      const t = q.total.get() as { bytes: number; files: number };
      return { bytes: t.bytes, files: t.files, capBytes: opts.capBytes };
    },

    /** At the cap: a picture of the largest size would not fit (so one may already have been refused). */
    atCap(): boolean {
      return usage + opts.maxPictureBytes > opts.capBytes;
    },
  };
}
