import { existsSync } from 'node:fs';
import type { Logger } from '../observability/index.js';
import { loadRegistry, parseRegistry, RegistryError, type RegisteredDevice, type Registry } from './registry.js';

export type RegistryReloadResult =
  | { ok: true; sites: number; devices: number; added: string[]; removed: string[] }
  | { ok: false; problems: string[] };

/** What changed in a reload: devices to start watching and devices to disconnect. */
export type RegistryChange = (added: RegisteredDevice[], removed: string[]) => void;

export type RegistryHost = ReturnType<typeof createRegistryHost>;

function open(path: string, required: boolean, logger: Logger): Registry {
  if (!existsSync(path) && !required) {
    logger.warn({ path }, 'no registry file: no device can connect until one is created (see registry.example.yaml)');
    return parseRegistry({ sites: [] }, path);
  }
  const registry = loadRegistry(path);
  for (const w of registry.warnings) logger.warn(w);
  const plain = registry.devices().filter((d) => d.entry.secret !== undefined).length;
  if (plain > 0) {
    logger.warn({ devices: plain }, 'devices with a plain secret in the registry: fine for development; for production store hashes (npm run registry -- rotate-secret --id <device>)');
  }
  logger.info({ path, sites: registry.sites.length, devices: registry.devices().length }, 'registry loaded');
  return registry;
}

/**
 * Holds the registry in force and swaps it on reload (after `npm run registry -- add-device`,
 * say). A valid file replaces it at once and listeners hear which devices came and went; an
 * invalid file is refused with its problems and the registry in force stays.
 * `required`: GATEWAY_REGISTRY was given explicitly, so a missing file is an error.
 */
export function createRegistryHost(path: string, required: boolean, logger: Logger) {
  let registry = open(path, required, logger);
  const listeners: RegistryChange[] = [];
  return {
    path,
    current: (): Registry => registry,
    onChange(listener: RegistryChange): void {
      listeners.push(listener);
    },
    reload(): RegistryReloadResult {
      let next: Registry;
      try {
        next = loadRegistry(path);
      } catch (err) {
        const problems = err instanceof RegistryError ? err.problems : [(err as Error).message];
        logger.warn({ problems }, 'registry reload refused; the registry in force is unchanged');
        return { ok: false, problems };
      }
      const before = new Set(registry.devices().map((d) => d.device));
      const after = new Set(next.devices().map((d) => d.device));
      registry = next;
      const added = [...after].filter((d) => !before.has(d));
      const removed = [...before].filter((d) => !after.has(d));
      for (const l of listeners) l(added.map((id) => next.device(id)!), removed);
      for (const w of next.warnings) logger.warn(w);
      logger.info({ sites: next.sites.length, devices: after.size, added: added.length, removed: removed.length }, 'registry reloaded');
      return { ok: true, sites: next.sites.length, devices: after.size, added, removed };
    },
  };
}
