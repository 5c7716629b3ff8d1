import { createHash, randomBytes } from 'node:crypto';
import type { StateDb } from '../storage/index.js';
import { ALL_SITES, type NewUser, type Principal, type Role, type User } from './schema.js';

interface UserRow {
  id: string;
  name: string;
  role: string;
  sites: string | null;
  departments: string | null;
  conflicts: string | null;
  display_name?: string | null;
  token_hash: string;
  created_at: number;
  created_by: string;
  disabled_at: number | null;
}

// Tokens are 192 random bits, so an unsalted SHA-256 is enough to make a stolen database
// useless for signing in, and it lets a request find its user with one indexed lookup.
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `gw_${randomBytes(24).toString('base64url')}`;
}

/** ["*"] (every site, said explicitly) reads as null, as an unscoped role's sites do. */
function siteList(sites: string[]): string[] | null {
  return sites.includes(ALL_SITES) ? null : sites;
}

const SCOPED_ROLES = "('viewer', 'inspector', 'operator')";

function toUser(r: UserRow): User {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    sites: r.sites === null ? null : siteList(JSON.parse(r.sites) as string[]),
    departments: r.departments === null ? null : (JSON.parse(r.departments) as string[]),
    conflicts: r.conflicts === null ? [] : (JSON.parse(r.conflicts) as string[]),
    displayName: r.display_name ?? null,
    createdAt: r.created_at,
    createdBy: r.created_by,
    disabled: r.disabled_at !== null,
  };
}

export class UserError extends Error {
  constructor(
    readonly kind: 'conflict' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

/** Actor names the gateway itself writes to the audit trail. */
const RESERVED_NAMES = new Set(['admin', 'system']);

export type UserStore = ReturnType<typeof createUserStore>;

/**
 * API users on the state database. The bootstrap token (GATEWAY_API_TOKEN or the generated
 * one) is the built-in `admin`, which exists outside the table so it can never be locked out.
 */
export function createUserStore(db: StateDb, bootstrapToken: string) {
  const bootstrapHash = hashToken(bootstrapToken);
  // Personal names (issue 16): a column this module adds itself, so an older state db gains it in place.
  if (!(db.prepare('PRAGMA table_info(users)').all() as Array<{ name: string }>).some((c) => c.name === 'display_name')) db.exec('ALTER TABLE users ADD COLUMN display_name TEXT');
  const q = {
    byHash: db.prepare('SELECT * FROM users WHERE token_hash = ? AND disabled_at IS NULL'),
    byName: db.prepare('SELECT * FROM users WHERE name = ?'),
    byId: db.prepare('SELECT * FROM users WHERE id = ?'),
    all: db.prepare('SELECT * FROM users ORDER BY created_at, id'),
    insert: db.prepare('INSERT INTO users (id, name, role, sites, token_hash, created_at, created_by, departments, conflicts, display_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    setConflicts: db.prepare('UPDATE users SET conflicts = ? WHERE id = ?'),
    disable: db.prepare('UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL'),
    implicitAll: db.prepare(`SELECT name FROM users WHERE sites IS NULL AND departments IS NULL AND role IN ${SCOPED_ROLES} ORDER BY name`),
    makeExplicit: db.prepare(`UPDATE users SET sites = '["*"]' WHERE sites IS NULL AND departments IS NULL AND role IN ${SCOPED_ROLES}`),
  };

  const disabledListeners = new Set<(name: string) => void>();

  return {
    /** Called with a user's name as soon as it is disabled, so its live feeds can be ended. */
    onDisabled(listener: (name: string) => void): () => void {
      disabledListeners.add(listener);
      return () => disabledListeners.delete(listener);
    },

    /**
     * Users created before "every site" had to be said (issue 20, finding 13): scoped roles with
     * no sites and no departments, who saw every site. They keep seeing every site, now stored
     * as sites ["*"]; their names are returned once, for the log, so an admin can narrow them.
     */
    makeAllSitesExplicit: db.transaction((): string[] => {
      const names = (q.implicitAll.all() as { name: string }[]).map((r) => r.name);
      if (names.length > 0) q.makeExplicit.run();
      return names;
    }),

    /** Whether a user of this name exists (disabled or not). */
    exists: (name: string): boolean => name === 'admin' || q.byName.get(name) !== undefined,

    /** Resolves a presented token to its principal, or undefined. */
    authenticate(token: string): Principal | undefined {
      const h = hashToken(token);
      if (h === bootstrapHash) return { user: 'admin', role: 'admin', sites: null };
      const row = q.byHash.get(h) as UserRow | undefined;
      if (!row) return undefined;
      const u = toUser(row);
      // Supervisors and admins see every site and department (their role is not scoped).
      const unscoped = u.role === 'supervisor' || u.role === 'admin';
      return { user: u.name, role: u.role, sites: unscoped ? null : u.sites, departments: unscoped ? null : u.departments };
    },

    /** Creates a user and returns its token, which is never stored nor shown again. */
    create(input: NewUser, createdBy: string, at: number): { user: User; token: string } {
      if (input.name === 'admin' || q.byName.get(input.name)) throw new UserError('conflict', `a user named ${input.name} exists`);
      // The audit trail names actors by these: a person called "system" could pass as the gateway.
      if (RESERVED_NAMES.has(input.name)) throw new UserError('conflict', `${input.name} is a reserved name`);
      const token = newToken();
      const id = `usr-${randomBytes(6).toString('hex')}`;
      // Unscoped roles store no sites; scoped ones their list, ["*"] included (schema.ts).
      const sites = input.role === 'supervisor' || input.role === 'admin' ? null : (input.sites ?? null);
      const departments = input.role === 'supervisor' || input.role === 'admin' || !input.departments ? null : JSON.stringify([...new Set(input.departments)].sort());
      const conflicts = input.conflicts?.length ? JSON.stringify([...new Set(input.conflicts)].sort()) : null;
      q.insert.run(id, input.name, input.role, sites ? JSON.stringify(sites) : null, hashToken(token), at, createdBy, departments, conflicts, input.displayName ?? null);
      return { user: toUser(q.byId.get(id) as UserRow), token };
    },

    list(): User[] {
      return (q.all.all() as UserRow[]).map(toUser);
    },

    /** Replaces an inspector's declared conflicts (the caller audits the change). */
    setConflicts(name: string, sites: readonly string[]): User {
      const row = q.byName.get(name) as UserRow | undefined;
      if (!row) throw new UserError('not_found', `no user ${name}`);
      q.setConflicts.run(sites.length ? JSON.stringify([...new Set(sites)].sort()) : null, row.id);
      return toUser(q.byId.get(row.id) as UserRow);
    },

    disable(id: string, at: number): User {
      const row = q.byId.get(id) as UserRow | undefined;
      if (!row) throw new UserError('not_found', `no user ${id}`);
      const changed = q.disable.run(at, id).changes > 0;
      if (changed) for (const l of disabledListeners) l(row.name);
      return toUser(q.byId.get(id) as UserRow);
    },
  };
}
