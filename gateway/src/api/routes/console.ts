import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { projectRoot } from '../../project-root.js';

// The supervisor console: static HTML, CSS and ES modules from dashboards/console, and uPlot
// from node_modules. No build step, no CDN: everything the page needs comes from here.

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Everything from this origin only; no inline script or style element (uPlot styles its
 * nodes through the DOM, which style-src does not govern). Camera snapshots are shown as
 * links, not images, so a device-reported URI is never fetched by the page itself.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

// The console's own files change with each release and have no hashed names: revalidate
// every time (cheap: a 304 on the ETag). uPlot's files change only with its version.
const CACHE_CONSOLE = 'no-cache';
const CACHE_VENDOR = 'public, max-age=86400';

export interface ConsoleOptions {
  /** Folder of the console's files; default dashboards/console of this checkout. */
  root?: string;
  /** Folder of uPlot's dist files; default the installed uplot package. */
  uplotDir?: string;
}

const defaultRoot = () => join(projectRoot(), 'dashboards', 'console');
const defaultUplotDir = () => dirname(createRequire(import.meta.url).resolve('uplot'));

/**
 * The file a request names inside `root`, or null when it would leave the folder, names a
 * hidden file, or has a type the console does not serve. `rel` is the router's decoded path,
 * so encoded dots and slashes arrive here as the real characters and are checked as such.
 */
export function safeFile(root: string, rel: string): string | null {
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const base = resolve(root);
  const full = resolve(base, rel);
  const inside = relative(base, full);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return null;
  if (inside.split(sep).some((part) => part.startsWith('.'))) return null;
  if (!(extname(full) in CONTENT_TYPES)) return null;
  return full;
}

function notFound(reply: FastifyReply, url: string) {
  return reply.code(404).headers(SECURITY_HEADERS).send({ error: { code: 'GW_NOT_FOUND', message: `no file ${url.split('?')[0]}` } });
}

/** Is `full` (a real path) inside the real path of `root`? Symbolic links are resolved first. */
async function underRoot(root: string, full: string): Promise<boolean> {
  const inside = relative(await realpath(root), full);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
}

async function sendFile(req: FastifyRequest, reply: FastifyReply, root: string, file: string | null, cache: string) {
  if (!file) return notFound(reply, req.url);
  let body: Buffer;
  let mtimeMs: number;
  try {
    // A symbolic link (of the file or of a folder on its way) may lead out of the root: only
    // what really lies under the root is served, and only regular files (issue 20, finding 14).
    const real = await realpath(file);
    if (!(await underRoot(root, real))) return notFound(reply, req.url);
    const s = await stat(real);
    if (!s.isFile()) return notFound(reply, req.url);
    mtimeMs = s.mtimeMs;
    body = await readFile(real);
  } catch {
    return notFound(reply, req.url);
  }
  const etag = `"${createHash('sha1').update(body).update(String(mtimeMs)).digest('base64url').slice(0, 22)}"`;
  reply.headers({ ...SECURITY_HEADERS, 'cache-control': cache, etag, 'content-type': CONTENT_TYPES[extname(file)]! });
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.code(200).send(body);
}

/** The console reads nothing of the gateway: it serves static files. */
export type ConsoleRouteDeps = object;

export const consoleRoutes =
  (_deps: ConsoleRouteDeps, opts: ConsoleOptions = {}): FastifyPluginAsyncZod =>
  async (app) => {
    const root = opts.root ?? defaultRoot();
    const uplotDir = opts.uplotDir ?? defaultUplotDir();
    // Only the two files the console loads: the rest of the package is not ours to publish.
    const vendor = new Set(['uPlot.esm.js', 'uPlot.min.css']);

    app.get('/', async (req, reply) => sendFile(req, reply, root, safeFile(root, 'index.html'), CACHE_CONSOLE));
    app.get('/console/*', async (req, reply) => {
      const rel = (req.params as { '*': string })['*'];
      return sendFile(req, reply, root, safeFile(root, rel), CACHE_CONSOLE);
    });
    app.get('/vendor/uplot/:file', async (req, reply) => {
      const name = (req.params as { file: string }).file;
      return sendFile(req, reply, uplotDir, vendor.has(name) ? safeFile(uplotDir, name) : null, CACHE_VENDOR);
    });
  };
