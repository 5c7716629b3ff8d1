#!/usr/bin/env node
// Runs one of the project's entry points as compiled JavaScript (npm start, npm run demo, ...).
// The first start, and any start after a source file changed, compiles the TypeScript once
// (tsc -p tsconfig.build.json, incremental) into dist/; later starts import dist/ directly, so
// a running gateway holds no TypeScript compiler (tsx) in memory. Source maps are on, so stacks
// name the .ts files. `npm run dev` keeps running the sources through tsx for development.
// Plain Node and no dependencies: it must work right after `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SOURCES = ['gateway/src', 'device-sim/src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const STAMP = join(root, 'dist', '.build-stamp');

function newestMtime(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function stale() {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return SOURCES.some((p) => existsSync(join(root, p)) && newestMtime(join(root, p)) > built);
}

function build() {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    process.stderr.write('Cannot compile: TypeScript is not installed. Run `npm ci` first (or build elsewhere and copy dist/).\n');
    process.exit(1);
  }
  process.stderr.write('Compiling the TypeScript sources into dist/ (first start, or sources changed)...\n');
  const started = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    process.stderr.write('Compilation failed (see above); nothing was started.\n');
    process.exit(r.status ?? 1);
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.stderr.write(`Compiled in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
}

if (process.argv[2] === '--build') {
  // `node scripts/run.mjs --build`: compile if stale, start nothing (the bench uses it).
  if (stale()) build();
  process.exit(0);
}
const entry = process.argv[2];
if (!entry || !entry.endsWith('.ts')) {
  process.stderr.write('usage: node scripts/run.mjs <entry.ts> [args...]   (e.g. gateway/src/main.ts)\n       node scripts/run.mjs --build      (compile into dist/ if a source changed, start nothing)\n');
  process.exit(2);
}
if (process.env.GATEWAY_SKIP_BUILD !== '1' && stale()) build();
const compiled = join(root, 'dist', relative(root, join(root, entry)).replace(/\.ts$/, '.js'));
if (!existsSync(compiled)) {
  process.stderr.write(`${entry} has no compiled file at ${relative(root, compiled)}; is it under gateway/src or device-sim/src?\n`);
  process.exit(1);
}
// The entry reads its own arguments from process.argv: drop this launcher's entry argument.
process.argv.splice(1, 2, compiled);
// Stacks name the TypeScript; a compiled file's source map is read only when a stack through it
// is printed (Node's --enable-source-maps would keep every module's map from the start).
const { mapStacksLazily } = await import(pathToFileURL(join(root, 'dist', 'gateway', 'src', 'runtime', 'source-stacks.js')).href);
mapStacksLazily(join(root, 'dist'));
await import(pathToFileURL(compiled).href);
