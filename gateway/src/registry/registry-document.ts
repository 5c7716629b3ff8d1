import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { parseRegistry, RegistryError } from './registry.js';

/**
 * The registry file as a YAML document, edited in place so that its comments, key order and
 * flow/block style survive (a parse + stringify round trip would drop the comments).
 */
export interface RegistryDocument {
  doc: Document;
  path: string;
  /** Every site map of the document. */
  sites(): YAMLMap[];
  site(id: string): YAMLMap | undefined;
  /** The device map with this id, in whichever site it is. */
  device(id: string): { site: YAMLMap; device: YAMLMap } | undefined;
  /** Validates the edited document as a registry, then writes it (temp file + rename). */
  save(): void;
}

export function openRegistryDocument(path: string, createIfMissing: boolean): RegistryDocument {
  let doc: Document;
  if (existsSync(path)) {
    doc = parseDocument(readFileSync(path, 'utf8'));
    if (doc.errors.length) throw new RegistryError(path, doc.errors.map((e) => `not valid YAML: ${e.message}`));
  } else if (createIfMissing) {
    doc = parseDocument('# Site/device registry, written by `npm run registry`.\nsites: []\n');
  } else {
    throw new RegistryError(path, ['no such file (create it with add-site, or pass --registry)']);
  }
  if (!isMap(doc.contents)) throw new RegistryError(path, ['(root): must be a map with a "sites" list']);
  if (!doc.has('sites')) doc.set('sites', doc.createNode([]));
  const sitesSeq = doc.get('sites') as unknown;
  if (!isSeq(sitesSeq)) throw new RegistryError(path, ['sites: must be a list']);

  const sites = () => (sitesSeq as YAMLSeq).items.filter((s): s is YAMLMap => isMap(s));
  const devicesOf = (site: YAMLMap) => {
    const seq = site.get('devices');
    return isSeq(seq) ? seq.items.filter((d): d is YAMLMap => isMap(d)) : [];
  };
  return {
    doc,
    path,
    sites,
    site: (id) => sites().find((s) => s.get('id') === id),
    device(id) {
      for (const site of sites()) {
        const device = devicesOf(site).find((d) => d.get('id') === id);
        if (device) return { site, device };
      }
      return undefined;
    },
    save() {
      // The gateway must be able to load what we write: check it with the gateway's own parser.
      parseRegistry(doc.toJS(), path);
      const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
      const tmp = `${path}.${process.pid}.tmp`;
      // lineWidth 0: a long secretHash stays on its line instead of folding a one-line entry.
      writeFileSync(tmp, doc.toString({ lineWidth: 0 }), { mode });
      renameSync(tmp, path);
    },
  };
}
