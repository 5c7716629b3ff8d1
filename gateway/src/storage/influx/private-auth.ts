// Authentication of the private influxd: one admin user with a generated password, kept
// beside its data with mode 0600 and never logged. influxd 1.x lets an unauthenticated
// client create the first admin only while no user exists; once ours exists, nothing
// without its password gets in. If something else made an admin first (a local process
// racing the very first start), our credentials do not work and we refuse to start.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InfluxError } from './errors.js';
import { authHeader } from './http.js';

export const CREDENTIALS_FILE = 'credentials.json';
const ADMIN = 'gateway';

const credentialsSchema = z.object({ username: z.string().min(1), password: z.string().min(16) });
export type InfluxCredentials = z.infer<typeof credentialsSchema>;

/**
 * Reads <dataDir>/credentials.json (tightening it to 0600), or writes a new one before first
 * use; `created` says which, so a new file that turns out useless can be taken back.
 */
export async function loadOrCreateCredentials(dataDir: string): Promise<{ credentials: InfluxCredentials; created: boolean }> {
  const file = join(dataDir, CREDENTIALS_FILE);
  const st = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (st === null) {
    const fresh: InfluxCredentials = { username: ADMIN, password: randomBytes(24).toString('base64url') };
    // Written before the user is created, so a crash in between leaves nothing unknown.
    await writeFile(file, `${JSON.stringify(fresh)}\n`, { mode: 0o600, flag: 'wx' });
    return { credentials: fresh, created: true };
  }
  if (!st.isFile()) throw new InfluxError('GW_INFLUXD_START', `${file} is not a regular file; remove it or restore the credentials of the private influxd`);
  if ((st.mode & 0o077) !== 0) await chmod(file, 0o600);
  const parsed = credentialsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new InfluxError('GW_INFLUXD_START', `${file} does not hold {"username","password"}; restore it from a backup`);
  return { credentials: parsed.data, created: false };
}

async function post(url: string, q: string, credentials?: InfluxCredentials): Promise<{ status: number; error?: string }> {
  const auth = credentials === undefined ? undefined : authHeader({ url, api: 'v1', ...credentials });
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth === undefined ? {} : { authorization: auth }) },
    body: new URLSearchParams({ q }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { error?: unknown; results?: { error?: unknown }[] };
  const error = body.error ?? body.results?.[0]?.error;
  return { status: res.status, ...(typeof error === 'string' ? { error } : {}) };
}

/**
 * Makes sure `credentials` log in as an admin: creates the user on a fresh server, else checks
 * it. When they do not work and the file was `created` just now, it is removed again.
 */
export async function ensureAdmin(url: string, credentials: InfluxCredentials, dataDir: string, created: boolean): Promise<void> {
  const check = await post(url, 'SHOW USERS', credentials);
  if (check.status === 200 && check.error === undefined) return;
  // The password is base64url: nothing in it needs escaping inside an InfluxQL string.
  const create = await post(url, `CREATE USER "${credentials.username}" WITH PASSWORD '${credentials.password}' WITH ALL PRIVILEGES`);
  if (create.status === 200 && create.error === undefined) return;
  if (created) await rm(join(dataDir, CREDENTIALS_FILE), { force: true });
  throw new InfluxError(
    'GW_INFLUXD_START',
    `the private influxd in ${dataDir} already has an admin user, and the password in ${join(dataDir, CREDENTIALS_FILE)} does not log in ` +
      `(HTTP ${create.status}); restore that file from a backup, or move ${dataDir} away to start with an empty history`,
  );
}
