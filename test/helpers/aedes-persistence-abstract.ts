// aedes-persistence's own abstract test suite (node:test) against the gateway's SessionStore,
// each test on a fresh state database. Run by test/unit/broker/session-store-abstract.test.ts.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SessionStore } from '../../gateway/src/broker/sessions.js';
import { openStateDb } from '../../gateway/src/storage/state-db.js';

const require = createRequire(import.meta.url);
const abstractSuite = require('aedes-persistence/abstract.js') as (opts: { test: typeof test; persistence: () => unknown; testAsync: boolean }) => void;
abstractSuite({ test, persistence: () => new SessionStore(openStateDb(mkdtempSync(join(tmpdir(), 'gw-aedes-abstract-')))), testAsync: true });
