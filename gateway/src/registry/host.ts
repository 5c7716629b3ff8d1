import { existsSync } from 'node:fs';
import type { Logger } from '../observability/index.js';
import { loadRegistry, parseRegistry, RegistryError, type RegisteredDevice, type Registry } from './registry.js';

export type RegistryReloadResult =
  | { ok: true; sites: number; devices: number; added: string[]; removed: string[] }
  | { ok: false; problems: string[] };

/**
 * What changed in a reload: devices to start watching, devices to disconnect, and devices
 * whose credential (secret, HJ 212 MN or PW, protocol) or site changed, whose live sessions
 * were opened under the old one and must end (issue 20, finding 8).
 */
export type RegistryChange = (added: RegisteredDevice[], removed: string[], rekeyed: string[]) => void;

/** What a live session was authenticated with; any change of it ends the session. */
function credentialOf(d: RegisteredDevice): string {
  const { protocol, secret, secretHash, hj212 } = d.entry;
  return JSON.stringify([d.site, protocol ?? 'mqtt', secret, secretHash, hj212?.mn, hj212?.password, hj212?.passwordHash]);
}

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
      const previous = registry;
      registry = next;
      const added = [...after].filter((d) => !before.has(d));
      const removed = [...before].filter((d) => !after.has(d));
      const rekeyed = previous.devices().filter((d) => after.has(d.device) && credentialOf(d) !== credentialOf(next.device(d.device)!)).map((d) => d.device);
      for (const l of listeners) l(added.map((id) => next.device(id)!), removed, rekeyed);
      for (const w of next.warnings) logger.warn(w);
      logger.info({ sites: next.sites.length, devices: after.size, added: added.length, removed: removed.length, rekeyed }, 'registry reloaded');
      return { ok: true, sites: next.sites.length, devices: after.size, added, removed };
    },
  };
}
