import type { Logger } from '../observability/index.js';
import type { UserStore } from './store.js';

/**
 * At start: viewers, inspectors and operators created before "every site" had to be said keep
 * what they had (every site), now stored as sites ["*"], and the log names them once so an
 * admin can disable and recreate them with the sites they need. Nobody loses or gains access.
 */
export function makeAllSitesExplicit(users: UserStore, logger: Logger): void {
  const names = users.makeAllSitesExplicit();
  if (names.length === 0) return;
  logger.warn(
    { users: names },
    'these users were created without sites and see every site; kept so, now recorded as sites ["*"]. To narrow one, disable it (DELETE /api/users/:id) and create it again with its sites',
  );
}
