// Console static files (issue 20, finding 14): only regular files under the console's root
// are served; a symbolic link inside the folder that leads out of it is not followed.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../../gateway/src/api/routes/console.js';

let dir: string;
let base: string;
let app: ReturnType<typeof Fastify>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'console-links-'));
  mkdirSync(join(dir, 'site', 'js'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'site', 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'site', 'js', 'a.js'), 'export const a = 1;');
  writeFileSync(join(dir, 'outside', 'secret.json'), '{"secret":"outside the root"}');
  writeFileSync(join(dir, 'outside', 'b.js'), 'export const secret = 1;');
  symlinkSync(join(dir, 'outside', 'secret.json'), join(dir, 'site', 'leak.json'));
  symlinkSync(join(dir, 'outside'), join(dir, 'site', 'linked'));
  symlinkSync(join(dir, 'site', 'js', 'a.js'), join(dir, 'site', 'alias.js'));
  const f = Fastify().withTypeProvider<ZodTypeProvider>();
  await f.register(consoleRoutes({}, { root: join(dir, 'site') }));
  await f.listen({ port: 0, host: '127.0.0.1' });
  app = f as unknown as ReturnType<typeof Fastify>;
  base = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('console static files and symbolic links', () => {
  it('serves a regular file under the root', async () => {
    const res = await fetch(`${base}/console/js/a.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('export const a');
  });

  it('answers 404 for a link to a file outside the root', async () => {
    const res = await fetch(`${base}/console/leak.json`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('outside the root');
  });

  it('answers 404 for a file reached through a linked folder that leads outside the root', async () => {
    const res = await fetch(`${base}/console/linked/b.js`);
    expect(res.status).toBe(404);
  });

  it('serves a link whose target is a regular file inside the root', async () => {
    const res = await fetch(`${base}/console/alias.js`);
    expect(res.status).toBe(200);
  });
});
