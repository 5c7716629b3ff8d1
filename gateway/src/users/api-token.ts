import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../observability/index.js';
import { newToken } from './store.js';

/** The admin API token: the configured one, else the data dir's, else a new one saved there. */
export function loadApiToken(configured: string | undefined, dataDir: string, logger: Logger): string {
  if (configured) return configured;
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) {
    logger.info({ file }, 'admin API token read from the data dir');
    return readFileSync(file, 'utf8').trim();
  }
  const token = newToken();
  writeFileSync(file, token + '\n', { mode: 0o600 });
  // Printed once, on the console only (never through the logger), so it can be copied.
  process.stdout.write(`\nGenerated admin API token (stored in ${file}; shown only this once):\n  ${token}\n\n`);
  return token;
}
