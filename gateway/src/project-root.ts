import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout (or image) folder that holds package.json. Files shipped beside the code
 * (dashboards/console, rules/) are found from here rather than by counting `../` from a
 * module, because the same module runs from gateway/src (tsx) and from dist/gateway/src (npm start).
 */
export function projectRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(from)}`);
    dir = up;
  }
}
