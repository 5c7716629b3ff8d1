import type { AuditLog } from '../events/index.js';
import type { StateDb } from '../storage/index.js';
import { randomBase32, SITE_CODE_PATTERN } from './random.js';

// One active code per site; rotation retires the old one, which is kept with its retirement
// time so a poster left on a wall says "retired" instead of a bare 404. Codes are printed on
// posters: public, but unguessable (160 bits), so nobody can walk the list of sites.

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS site_codes (
    code TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    issued_by TEXT NOT NULL,
    retired_at INTEGER,
    retired_by TEXT
  );
  CREATE UNIQUE INDEX IF NOT EXISTS site_codes_active ON site_codes (site) WHERE retired_at IS NULL;`;

interface CodeRow {
  code: string;
  site: string;
  issued_at: number;
  issued_by: string;
  retired_at: number | null;
  retired_by: string | null;
}

export interface SiteCode {
  code: string;
  site: string;
  issuedAt: number;
  issuedBy: string;
  retiredAt: number | null;
}

export type CodeLookup = { state: 'active'; site: string; code: string } | { state: 'retired'; site: string; retiredAt: number } | { state: 'unknown' };

const toCode = (r: CodeRow): SiteCode => ({ code: r.code, site: r.site, issuedAt: r.issued_at, issuedBy: r.issued_by, retiredAt: r.retired_at });

/** A short, non-reversible name of a code for the audit trail (the code itself is on the poster). */
const fingerprint = (code: string) => code.slice(0, 6);

export type SiteCodes = ReturnType<typeof createSiteCodes>;

export function createSiteCodes(db: StateDb, audit: AuditLog, clock: () => number) {
  db.exec(SCHEMA);
  const q = {
    active: db.prepare('SELECT * FROM site_codes WHERE site = ? AND retired_at IS NULL'),
    byCode: db.prepare('SELECT * FROM site_codes WHERE code = ?'),
    insert: db.prepare('INSERT INTO site_codes (code, site, issued_at, issued_by) VALUES (?, ?, ?, ?)'),
    retire: db.prepare('UPDATE site_codes SET retired_at = ?, retired_by = ? WHERE code = ? AND retired_at IS NULL'),
  };
  const log = (site: string, type: string, at: number, actor: string, note: string | null, detail: unknown) =>
    audit.append({ kind: 'sitecode', eventId: null, windowId: null, site, device: null, type, at, actor, note, severity: null, value: null, detail });

  const issue = (site: string, actor: string, at: number): CodeRow => {
    const code = randomBase32(20);
    q.insert.run(code, site, at, actor);
    return q.byCode.get(code) as CodeRow;
  };

  // A site's first code is made when it is first asked for (poster, QR), audited like a rotation.
  const currentTx = db.transaction((site: string): SiteCode => {
    const row = q.active.get(site) as CodeRow | undefined;
    if (row) return toCode(row);
    const at = clock();
    const made = issue(site, 'system', at);
    log(site, 'code_issued', at, 'system', null, { code: fingerprint(made.code) });
    return toCode(made);
  });

  const rotateTx = db.transaction((site: string, actor: string, note: string): { code: SiteCode; retired: string | null } => {
    const old = q.active.get(site) as CodeRow | undefined;
    const at = clock();
    if (old) q.retire.run(at, actor, old.code);
    const made = issue(site, actor, at);
    log(site, 'code_rotated', at, actor, note, { code: fingerprint(made.code), retired: old ? fingerprint(old.code) : null });
    return { code: toCode(made), retired: old?.code ?? null };
  });

  return {
    /** The site's active code, made on first use. */
    current: (site: string) => currentTx(site),
    /** Retires the active code (kept, with the time) and issues a new one; audited. */
    rotate: (site: string, actor: string, note: string) => rotateTx(site, actor, note),
    lookup(code: string): CodeLookup {
      if (!SITE_CODE_PATTERN.test(code)) return { state: 'unknown' };
      const row = q.byCode.get(code) as CodeRow | undefined;
      if (!row) return { state: 'unknown' };
      return row.retired_at === null ? { state: 'active', site: row.site, code: row.code } : { state: 'retired', site: row.site, retiredAt: row.retired_at };
    },
  };
}
