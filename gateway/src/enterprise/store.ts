import type { CreditGrade } from '../domain/index.js';
import type { AuditLog } from '../events/index.js';
import type { SiteEntry } from '../registry/index.js';
import type { StateDb } from '../storage/index.js';
import type { ProfileChange, SiteProfile } from './schema.js';

interface ProfileRow {
  site: string;
  credit_grade: string | null;
  key_supervision: number | null;
  departments: string | null;
  updated_at: number;
  updated_by: string;
}

export type ProfileStore = ReturnType<typeof createProfileStore>;

/**
 * Enterprise profiles: the registry gives each site's credit grade, key-supervision flag and
 * departments; a supervisor may change them through the API (the credit grade is reassessed
 * monthly by SAMR, faster than anyone edits a registry file). Every change is one transaction
 * with its audit row, which holds the values before and after.
 */
export function createProfileStore(db: StateDb, audit: AuditLog) {
  const q = {
    get: db.prepare('SELECT * FROM site_profiles WHERE site = ?'),
    all: db.prepare('SELECT * FROM site_profiles'),
    upsert: db.prepare(`INSERT INTO site_profiles (site, credit_grade, key_supervision, departments, updated_at, updated_by)
      VALUES (@site, @grade, @key, @departments, @at, @by)
      ON CONFLICT (site) DO UPDATE SET credit_grade = COALESCE(@grade, credit_grade), key_supervision = COALESCE(@key, key_supervision),
        departments = COALESCE(@departments, departments), updated_at = @at, updated_by = @by`),
  };

  function merge(entry: SiteEntry, row: ProfileRow | undefined): SiteProfile {
    return {
      site: entry.id,
      creditGrade: ((row?.credit_grade ?? entry.creditGrade) as CreditGrade | undefined) ?? null,
      keySupervision: row?.key_supervision != null ? row.key_supervision === 1 : (entry.keySupervision ?? false),
      departments: row?.departments ? (JSON.parse(row.departments) as string[]) : (entry.departments ?? []),
      source: row ? 'api' : 'registry',
      updatedAt: row?.updated_at ?? null,
      updatedBy: row?.updated_by ?? null,
    };
  }

  const changeTx = db.transaction((entry: SiteEntry, change: ProfileChange, actor: string, at: number): SiteProfile => {
    const before = merge(entry, q.get.get(entry.id) as ProfileRow | undefined);
    q.upsert.run({
      site: entry.id,
      grade: change.creditGrade ?? null,
      key: change.keySupervision === undefined ? null : change.keySupervision ? 1 : 0,
      departments: change.departments ? JSON.stringify([...new Set(change.departments)].sort()) : null,
      at,
      by: actor,
    });
    const after = merge(entry, q.get.get(entry.id) as ProfileRow | undefined);
    const pick = (p: SiteProfile) => ({ creditGrade: p.creditGrade, keySupervision: p.keySupervision, departments: p.departments });
    audit.append({ kind: 'profile', eventId: null, windowId: null, site: entry.id, device: null, type: 'profile_changed', at, actor, note: change.note, severity: null, value: null, detail: { before: pick(before), after: pick(after) } });
    return after;
  });

  return {
    of: (entry: SiteEntry): SiteProfile => merge(entry, q.get.get(entry.id) as ProfileRow | undefined),
    /** Profiles of every registry site, in registry order. */
    all(sites: readonly SiteEntry[]): SiteProfile[] {
      const rows = new Map((q.all.all() as ProfileRow[]).map((r) => [r.site, r]));
      return sites.map((s) => merge(s, rows.get(s.id)));
    },
    change: (entry: SiteEntry, change: ProfileChange, actor: string, at: number) => changeTx(entry, change, actor, at),
  };
}
