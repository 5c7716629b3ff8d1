import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces of the compiled gateway name its TypeScript sources, as `--enable-source-maps`
 * does, but a compiled file's source map is read only when a stack passing through it is
 * formatted. Node's flag parses and keeps the map of every module it loads from the start: ~2.5
 * MiB of heap and 2-6 MiB of RSS for an idle gateway that never prints a stack (issue 18).
 * Only files under `root` (the dist folder) are mapped; other frames print as V8 prints them.
 */
export function mapStacksLazily(root: string): () => void {
  const before = Error.prepareStackTrace;
  const inside = root.endsWith(sep) ? root : root + sep;
  const maps = new Map<string, { map: SourceMap; dir: string } | null>();

  function mapOf(file: string): { map: SourceMap; dir: string } | null {
    let m = maps.get(file);
    if (m !== undefined) return m;
    m = null;
    try {
      const mapPath = `${file}.map`;
      if (existsSync(mapPath)) {
        const payload = JSON.parse(readFileSync(mapPath, 'utf8')) as { sourceRoot?: string };
        m = { map: new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]), dir: resolve(dirname(mapPath), payload.sourceRoot ?? '') };
      }
    } catch {
      m = null; // an unreadable map: the frame prints as compiled
    }
    maps.set(file, m);
    return m;
  }

  function frame(site: NodeJS.CallSite): string {
    const text = String(site);
    const name = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!name || line === null || column === null) return text;
    const file = name.startsWith('file://') ? fileURLToPath(name) : name;
    if (!file.startsWith(inside)) return text;
    const m = mapOf(file);
    if (!m) return text;
    const entry = m.map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return text;
    const at = `${name}:${line}:${column}`;
    const original = `${resolve(m.dir, entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    const i = text.lastIndexOf(at);
    return i < 0 ? text : text.slice(0, i) + original + text.slice(i + at.length);
  }

  Error.prepareStackTrace = (err: Error, sites: NodeJS.CallSite[]) => {
    let head: string;
    try {
      head = String(err);
    } catch {
      head = '<error>';
    }
    return sites.length === 0 ? head : `${head}\n${sites.map((s) => `    at ${frame(s)}`).join('\n')}`;
  };
  /** Puts back what formatted stacks before. */
  return () => {
    Error.prepareStackTrace = before;
  };
}
