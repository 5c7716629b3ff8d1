import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { mapStacksLazily } from '../../../gateway/src/runtime/index.js';

// A module compiled by tsc with its source map beside it, as dist/ holds them; it throws on line 4.
const SOURCE = ['export function explode(): never {', '  const why = "the tank is full";', '  // the next line throws', '  throw new Error(why);', '}', ''].join('\n');

function compile(dir: string, name: string, withMap = true): string {
  mkdirSync(dir, { recursive: true });
  const out = ts.transpileModule(SOURCE, {
    fileName: `${name}.ts`,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: withMap },
  });
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, out.outputText.replace(`${name}.js.map`, `${name}.mjs.map`));
  if (withMap) writeFileSync(`${file}.map`, out.sourceMapText!.replace(`"${name}.js"`, `"${name}.mjs"`));
  return file;
}

const STACKS = pathToFileURL(resolve('gateway/src/runtime/source-stacks.ts')).href;

/**
 * The stack `explode()` throws, in a plain node process with the formatter installed for `root`
 * (the test runner loads modules its own way, which would move their lines).
 */
function stackOf(root: string, file: string): string {
  const script = [
    `const { mapStacksLazily } = await import(${JSON.stringify(STACKS)});`,
    `mapStacksLazily(${JSON.stringify(root)});`,
    `const m = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'try { m.explode(); } catch (err) { process.stdout.write(err.stack); }',
  ].join('\n');
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('stacks of compiled files', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it('name the TypeScript source and line of a compiled file under the root', () => {
    const root = mkdtempSync(join(tmpdir(), 'stacks-'));
    const file = compile(join(root, 'gateway'), 'tank');
    restore = mapStacksLazily(root);
    const stack = stackOf(root, file);
    expect(stack.split('\n')[0]).toBe('Error: the tank is full');
    expect(stack).toContain(`${join(root, 'gateway', 'tank.ts')}:4:`);
    expect(stack).not.toContain('tank.mjs:');
  });

  it('leave frames of files outside the root as V8 prints them', () => {
    const root = mkdtempSync(join(tmpdir(), 'stacks-'));
    const elsewhere = compile(mkdtempSync(join(tmpdir(), 'elsewhere-')), 'outside');
    restore = mapStacksLazily(root);
    const stack = stackOf(root, elsewhere);
    expect(stack).toContain(`${pathToFileURL(elsewhere).href}:4:`);
    expect(stack).not.toContain('outside.ts');
  });

  it('leave frames of a compiled file without a source map as compiled', () => {
    const root = mkdtempSync(join(tmpdir(), 'stacks-'));
    const file = compile(root, 'nomap', false);
    restore = mapStacksLazily(root);
    const stack = stackOf(root, file);
    expect(stack).toContain(`${pathToFileURL(file).href}:4:`);
  });

  it('give back the formatter that was there before', () => {
    const before = Error.prepareStackTrace;
    mapStacksLazily(mkdtempSync(join(tmpdir(), 'stacks-')))();
    expect(Error.prepareStackTrace).toBe(before);
  });
});
