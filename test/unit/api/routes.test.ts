import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiPath } from '../../../gateway/src/api/auth.js';
import { isPublicDocsRoute } from '../../../gateway/src/api/openapi.js';
import { createGateway, type Gateway } from '../../../gateway/src/app.js';
import { loadConfig } from '../../../gateway/src/config.js';
import { createLogger } from '../../../gateway/src/observability/index.js';

// The app as the gateway builds it (never started): every route it has, and the role each declares.
const TOKEN = 'routes-test-token-0123456789';
let dir: string;
let gateway: Gateway;
let routes: Array<{ method: string; path: string }>;
let publicRoutes: Array<{ method: string; path: string }>;
const roles = new Map<string, string | undefined>();

/** `printRoutes({ commonPrefix: false })` as (method, path) pairs: a child's segment follows its parent's path. */
function parseRoutes(tree: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = Math.round(m[1]!.length / 4);
    const seg = m[2]!;
    const path = depth === 0 ? seg : stack[depth - 1] === '/' ? `/${seg}` : `${stack[depth - 1]}${seg}`;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of m[3]?.split(', ') ?? []) out.push({ method, path });
  }
  return out;
}

const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, 'x').replace(/\*$/, 'x');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-routes-unit-'));
  const config = loadConfig({
    GATEWAY_DATA_DIR: dir,
    GATEWAY_RULES_DIR: resolve('rules'),
    GATEWAY_REGISTRY: join(dir, 'no-registry.yaml'),
    GATEWAY_API_TOKEN: TOKEN,
    GATEWAY_LOG_LEVEL: 'silent',
  });
  gateway = await createGateway({ config, logger: createLogger('silent') });
  routes = parseRoutes(gateway.api.printRoutes({ commonPrefix: false }));
  // The OpenAPI document and its page are public by design (a test below pins which).
  publicRoutes = routes.filter((r) => isPublicDocsRoute(r.path.replace(/\*$/, '')));
  routes = routes.filter((r) => !publicRoutes.includes(r));
  // Records the role the matched route declares and answers before any handler runs.
  gateway.api.addHook('onRequest', async (req, reply) => {
    roles.set(`${req.method} ${req.routeOptions.url}`, req.routeOptions.config?.role);
    return reply.code(204).send();
  });
  for (const r of routes) {
    if (!isApiPath(r.path)) continue;
    await gateway.api.inject({ method: r.method as 'GET', url: concrete(r.path), headers: { authorization: `Bearer ${TOKEN}` } });
  }
});

afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the roles of the API routes', () => {
  it('finds the API routes in the route tree', () => {
    const api = routes.filter((r) => isApiPath(r.path)).map((r) => `${r.method} ${r.path}`);
    expect(api).toEqual(expect.arrayContaining(['GET /api/events', 'GET /api/events/:id', 'POST /api/events/:id/close', 'GET /api/audit/verify', 'POST /api/webhooks', 'POST /api/users']));
  });

  it('reaches every route under /api with the request it sends', () => {
    const api = routes.filter((r) => isApiPath(r.path)).map((r) => `${r.method} ${r.path}`);
    expect([...roles.keys()].sort()).toEqual([...api].sort());
  });

  it('leaves only the OpenAPI document and its docs page readable without a role', async () => {
    expect(publicRoutes.map((r) => r.path)).toContain('/api/openapi.json');
    expect(publicRoutes.every((r) => r.path === '/api/openapi.json' || r.path.startsWith('/api/docs'))).toBe(true);
  });

  it('has a role declared in config.role on every route under /api', () => {
    const missing = [...roles].filter(([, role]) => !role).map(([route]) => route);
    expect(missing).toEqual([]);
  });

  const expected: Record<string, string> = {
    'GET /api/events': 'viewer',
    'GET /api/events/:id': 'viewer',
    'GET /api/events/stream': 'viewer',
    'GET /api/events/export': 'viewer',
    'POST /api/events/:id/acknowledge': 'operator',
    'POST /api/events/:id/comments': 'operator',
    'POST /api/events/:id/resolve': 'supervisor',
    'POST /api/events/:id/close': 'supervisor',
    'GET /api/audit': 'viewer',
    'GET /api/audit/verify': 'supervisor',
    'POST /api/maintenance': 'supervisor',
    'PATCH /api/maintenance/:id': 'supervisor',
    'POST /api/maintenance/:id/end': 'supervisor',
    'GET /api/webhooks': 'admin',
    'POST /api/webhooks': 'admin',
    'DELETE /api/webhooks/:id': 'admin',
    'GET /api/webhooks/:id/deliveries': 'admin',
    'GET /api/users': 'admin',
    'POST /api/users': 'admin',
    'DELETE /api/users/:id': 'admin',
    'POST /api/rules/reload': 'admin',
  };
  for (const [route, role] of Object.entries(expected)) {
    it(`lets ${route} be called from the ${role} role up`, () => {
      expect(roles.get(route)).toBe(role);
    });
  }
});
