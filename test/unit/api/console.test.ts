import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../gateway/src/api/index.js';
import { CONSOLE_CSP, consoleRoutes, safeFile } from '../../../gateway/src/api/routes/console.js';

// The console plugin alone on a bare fastify, once with the real dashboards/console and
// once with a temp folder that has a secret beside it to reach for.
const noDeps = {} as ApiDeps;

async function appWith(opts: Parameters<typeof consoleRoutes>[1] = {}) {
  const app = Fastify().withTypeProvider<ZodTypeProvider>();
  await app.register(consoleRoutes(noDeps, opts));
  await app.ready();
  return app;
}

let real: Awaited<ReturnType<typeof appWith>>;
let temp: Awaited<ReturnType<typeof appWith>>;
let dir: string;
let tempPort: number;

beforeAll(async () => {
  real = await appWith();
  dir = mkdtempSync(join(tmpdir(), 'console-test-'));
  mkdirSync(join(dir, 'site', 'js'), { recursive: true });
  writeFileSync(join(dir, 'site', 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'site', 'js', 'a.js'), 'export {};');
  writeFileSync(join(dir, 'site', '.env'), 'TOKEN=hidden');
  writeFileSync(join(dir, 'site', 'notes.txt'), 'plain text is not served');
  writeFileSync(join(dir, 'secret.json'), '{"secret":"outside the root"}');
  temp = await appWith({ root: join(dir, 'site') });
  await temp.listen({ port: 0, host: '127.0.0.1' });
  tempPort = (temp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await real?.close();
  await temp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serving the console', () => {
  it('serves index.html at / as HTML with the strict CSP and no-cache', async () => {
    const res = await real.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(CONSOLE_CSP).not.toContain('unsafe-eval');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toContain('<script type="module" src="/console/js/main.js"></script>');
  });

  it('has no inline script, inline handler or style attribute in index.html, so the CSP need not relax', () => {
    const html = readFileSync(resolve('dashboards/console/index.html'), 'utf8');
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\ssrc="\/[^"]+"/);
    expect(html).not.toMatch(/<script\b[^>]*>[^<\s]/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves scripts, styles and images with their content types', async () => {
    const cases = [
      ['/console/js/main.js', 'text/javascript; charset=utf-8'],
      ['/console/console.css', 'text/css; charset=utf-8'],
      ['/console/favicon.svg', 'image/svg+xml'],
    ] as const;
    for (const [url, type] of cases) {
      const res = await real.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe(type);
      expect(res.headers['content-security-policy'], url).toBe(CONSOLE_CSP);
    }
  });

  it('serves uPlot from node_modules under /vendor/uplot with a day of caching, and only its two files', async () => {
    const js = await real.inject('/vendor/uplot/uPlot.esm.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=86400');
    expect(js.body).toContain('export { uPlot as default }');
    const css = await real.inject('/vendor/uplot/uPlot.min.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    for (const other of ['/vendor/uplot/uPlot.cjs.js', '/vendor/uplot/package.json', '/vendor/uplot/..%2Fpackage.json', '/vendor/uplot/constructor']) {
      expect((await real.inject(other)).statusCode, other).toBe(404);
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await real.inject('/console/console.css');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await real.inject({ url: '/console/console.css', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers 404 with a JSON error for a file that is not there', async () => {
    const res = await real.inject('/console/js/nope.js');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'GW_NOT_FOUND', message: 'no file /console/js/nope.js' } });
  });
});

function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('path traversal', () => {
  const attempts = [
    '/console/../secret.json',
    '/console/../../package.json',
    '/console/..%2fsecret.json',
    '/console/..%2Fsecret.json',
    '/console/%2e%2e/secret.json',
    '/console/%2e%2e%2fsecret.json',
    '/console/%2E%2E%2F%2E%2E%2Fpackage.json',
    '/console/js/..%2f..%2fsecret.json',
    '/console/..%5csecret.json',
    '/console/%252e%252e%252fsecret.json',
    '/console/..%00/secret.json',
    '/console/%2fetc%2fpasswd.json',
    '/console//etc/passwd.json',
  ];

  it.each(attempts)('refuses %s', async (url) => {
    for (const app of [temp, real]) {
      const res = await app.inject(url);
      expect([400, 404]).toContain(res.statusCode);
      expect(res.body).not.toContain('outside the root');
      expect(res.body).not.toContain('remote-supervision-gateway');
    }
  });

  // inject() resolves literal dot segments before routing, as browsers do; a raw client
  // sends them as written, so check those over a real socket as well.
  it.each(attempts)('refuses %s sent raw over HTTP', async (url) => {
    const res = await rawGet(tempPort, url);
    expect([400, 404]).toContain(res.status);
    expect(res.body).not.toContain('outside the root');
  });

  it('refuses hidden files and types it does not serve, inside the folder', async () => {
    expect((await temp.inject('/console/.env')).statusCode).toBe(404);
    expect((await temp.inject('/console/notes.txt')).statusCode).toBe(404);
    expect((await temp.inject('/console/js/a.js')).statusCode).toBe(200);
  });

  it('safeFile keeps every path inside the root', () => {
    const root = join(dir, 'site');
    expect(safeFile(root, 'js/a.js')).toBe(join(root, 'js', 'a.js'));
    for (const rel of ['../secret.json', 'js/../../secret.json', '/etc/passwd.json', '..\\secret.json', 'a\0.js', '', '.', 'js/.hidden.js', '.git/config.json']) {
      expect(safeFile(root, rel), JSON.stringify(rel)).toBeNull();
    }
  });
});
