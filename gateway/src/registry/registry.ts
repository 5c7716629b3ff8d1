import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import type { DeviceRef, Sector } from '../domain/index.js';
import { checkCreditCode } from './credit-code.js';
import { registrySchema, type DeviceEntry, type SiteEntry } from './schema.js';

export interface RegisteredDevice extends DeviceRef {
  entry: DeviceEntry;
}

/**
 * A registered device and its registry entry in one object: `entry` is the record itself
 * (`id` is `device`), so 10,000 devices hold 10,000 objects instead of 20,000 (~0.6 MB).
 * The entry's optional fields exist only on devices that set them.
 */
class DeviceRecord {
  declare readonly site: string;
  declare readonly device: string;
  declare readonly sector: Sector;
  declare readonly kind: DeviceEntry['kind'];

  constructor(site: string, sector: Sector, d: DeviceEntry) {
    const self = this as unknown as Record<string, unknown>;
    self.site = site;
    self.device = d.id;
    self.sector = sector;
    self.kind = d.kind;
    if (d.name !== undefined) self.name = d.name;
    if (d.protocol !== undefined) self.protocol = d.protocol;
    if (d.secret !== undefined) self.secret = d.secret;
    if (d.secretHash !== undefined) self.secretHash = d.secretHash;
    if (d.hj212 !== undefined) self.hj212 = d.hj212;
    if (d.profile !== undefined) self.profile = d.profile;
  }

  get id(): string {
    return this.device;
  }

  get entry(): DeviceEntry {
    return this as unknown as DeviceEntry;
  }
}

export interface Registry {
  sites: SiteEntry[];
  site(id: string): SiteEntry | undefined;
  /** Device ids are unique across the registry: a device id is its MQTT username. */
  device(id: string): RegisteredDevice | undefined;
  devices(): RegisteredDevice[];
  /** The protocol: hj212 device whose logger MN this is. MNs are unique in the registry. */
  byMn(mn: string): RegisteredDevice | undefined;
  /** Non-fatal findings, such as a credit code whose check character does not match. */
  warnings: string[];
}

export class RegistryError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`registry ${source} is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RegistryError';
  }
}

export function parseRegistry(raw: unknown, source = '<registry>'): Registry {
  const parsed = registrySchema.safeParse(raw);
  if (!parsed.success) {
    throw new RegistryError(
      source,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const sites = new Map<string, SiteEntry>();
  const devices = new Map<string, RegisteredDevice>();
  const mns = new Map<string, RegisteredDevice>();
  for (const site of parsed.data.sites) {
    if (sites.has(site.id)) problems.push(`sites: site id "${site.id}" appears twice`);
    sites.set(site.id, site);
    if (site.creditCode !== undefined) {
      const why = checkCreditCode(site.creditCode);
      if (why) warnings.push(`site ${site.id}: credit code ${site.creditCode}: ${why}`);
    }
    for (let i = 0; i < site.devices.length; i++) {
      const d = site.devices[i]!;
      const prior = devices.get(d.id);
      if (prior) problems.push(`site ${site.id}: device id "${d.id}" is already used by site ${prior.site}`);
      const registered: RegisteredDevice = new DeviceRecord(site.id, site.sector as Sector, d) as unknown as RegisteredDevice;
      devices.set(d.id, registered);
      // The site's list holds the record too, so the parsed entry is not kept beside it.
      site.devices[i] = registered.entry;
      if (d.hj212) {
        const other = mns.get(d.hj212.mn);
        if (other) problems.push(`site ${site.id}: device ${d.id}: MN "${d.hj212.mn}" is already used by device ${other.device}`);
        mns.set(d.hj212.mn, registered);
      }
    }
  }
  if (problems.length) throw new RegistryError(source, problems);
  return {
    sites: [...sites.values()],
    site: (id) => sites.get(id),
    device: (id) => devices.get(id),
    devices: () => [...devices.values()],
    byMn: (mn) => mns.get(mn),
    warnings,
  };
}

/**
 * js-yaml's strings are slices of the file's text, so any one of them that the gateway keeps
 * (a device id, a secret hash) keeps the whole file in memory: 1.7 MB at 19,000 devices, twice
 * that with Chinese names. Copying the longer strings out lets the text go after the load.
 * The short ones are copies already, one per occurrence: they are shared through `seen`
 * (`kind: sensor` on 10,000 devices was 10,000 strings).
 */
function detached(v: unknown, seen: Map<string, string>): unknown {
  if (typeof v === 'string') {
    if (v.length > 12) return Buffer.from(v, 'utf8').toString('utf8');
    const known = seen.get(v);
    if (known !== undefined) return known;
    seen.set(v, v);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => detached(x, seen));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, detached(x, seen)]));
  return v;
}

export function loadRegistry(path: string): Registry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RegistryError(path, [`cannot read: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    // js-yaml, not the yaml package the registry CLI edits with: reading a 19,000-device registry
    // took ~18 s and ~95 MiB of heap with yaml's document model against ~1.7 s and ~7 MiB here.
    // CORE_SCHEMA: plain YAML 1.2 scalars (a date stays a string); duplicate keys are refused.
    raw = detached(loadYaml(text, { schema: CORE_SCHEMA, filename: path }), new Map());
  } catch (err) {
    throw new RegistryError(path, [`not valid YAML: ${(err as Error).message}`]);
  }
  return parseRegistry(raw, path);
}

