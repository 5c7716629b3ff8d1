import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../observability/index.js';
import type { Component } from './components.js';

export interface WatchOptions {
  /** Only changes to this file name in the folder count; every change counts when absent. */
  file?: string;
  /** What to tell the operator when the folder cannot be watched. */
  fallback: string;
}

/**
 * Watches a folder and calls `onChange` once a burst of changes settles (editors and the
 * registry CLI write in bursts and replace files by rename, hence the folder, not the file).
 */
export function watchFolder(name: string, dir: string, opts: WatchOptions, onChange: () => void, logger: Logger): Component {
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  return {
    name,
    start() {
      if (!existsSync(dir)) return;
      try {
        watcher = watch(dir, (_event, changed) => {
          if (opts.file !== undefined && changed !== opts.file) return;
          clearTimeout(debounce);
          debounce = setTimeout(onChange, 300);
          debounce.unref();
        });
        watcher.on('error', (err) => logger.warn({ err, dir }, 'file watcher failed'));
      } catch (err) {
        logger.warn({ err, dir }, `cannot watch the folder; ${opts.fallback}`);
      }
    },
    stop() {
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}

/** Watches one file through its folder. */
export function watchFile(name: string, path: string, fallback: string, onChange: () => void, logger: Logger): Component {
  return watchFolder(name, dirname(path), { file: basename(path), fallback }, onChange, logger);
}
