import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isMap, isSeq, type YAMLMap } from 'yaml';
import { deviceKindSchema, idSchema, sectorSchema, SECTORS } from '../domain/index.js';
import { checkCreditCode } from './credit-code.js';
import { openRegistryDocument } from './registry-document.js';
import { RegistryError } from './registry.js';
import { hashSecret } from './secrets.js';

// `npm run registry -- <command>`: manages registry.yaml. Device secrets are generated here,
// shown once, and only their scrypt hash is written, so the file alone lets nobody connect.

export interface RegistryCliIo {
  out(text: string): void;
  err(text: string): void;
  /** The whole of standard input (for `hash`). */
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
}

export const processIo: RegistryCliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

export const usage = `Usage: npm run registry -- <command> [options]

Commands:
  add-site --id S --name N --sector X [--credit-code C]
      add a site; X is one of ${SECTORS.join(', ')}
  add-device --site S --id D [--kind sensor|camera]
      add a device with a new random secret; prints the secret once, stores only its hash
  rotate-secret --id D
      replace a device's secret (or plain secret) with a new random one; prints it once
  hash
      read a secret from standard input and print its hash for "secretHash:"

Every command but hash takes --registry FILE (default: $GATEWAY_REGISTRY or ./registry.yaml).
The registry's comments and layout are kept. Exit status: 0 done, 1 refused, 2 usage error.
`;

class Refused extends Error {}

/** 192 random bits, URL-safe: fits any MQTT client's password field without quoting. */
function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

function need(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new Refused(`--${name} is required`);
  return v;
}

function checkId(what: string, id: string): string {
  const p = idSchema.safeParse(id);
  if (!p.success) throw new Refused(`${what} "${id}": ${p.error.issues[0]!.message}`);
  return id;
}

function registryPath(values: Record<string, string | boolean | undefined>, io: RegistryCliIo): string {
  const given = values.registry;
  return resolve(typeof given === 'string' && given !== '' ? given : (io.env.GATEWAY_REGISTRY ?? './registry.yaml'));
}

const fileOption = { registry: { type: 'string' as const } };

function printSecret(io: RegistryCliIo, device: string, secret: string, file: string) {
  io.out(`Secret of device ${device} (shown only this once; it is NOT stored, ${file} keeps only its hash):\n  ${secret}\n`);
}

/** A new device map in the style of its neighbours (the example registry uses one-line flow maps). */
function appendDevice(site: YAMLMap, entry: Record<string, string>, doc: { createNode(v: unknown): unknown }) {
  let seq = site.get('devices');
  if (!isSeq(seq)) {
    site.set('devices', doc.createNode([]));
    seq = site.get('devices');
  }
  const list = seq as { items: unknown[]; flow?: boolean; add(v: unknown): void };
  // A new site's `devices: []` is a flow list; with items it reads better as a block list.
  if (list.items.length === 0) list.flow = false;
  const node = doc.createNode(entry) as YAMLMap;
  if (list.items.some((d) => isMap(d) && d.flow)) node.flow = true;
  list.add(node);
}

function addSite(args: string[], io: RegistryCliIo): number {
  const { values } = parseArgs({ args, options: { id: { type: 'string' }, name: { type: 'string' }, sector: { type: 'string' }, 'credit-code': { type: 'string' }, ...fileOption }, strict: true });
  const id = checkId('site id', need(values, 'id'));
  const name = need(values, 'name');
  if (name.length > 200) throw new Refused('--name: at most 200 characters');
  const sector = sectorSchema.safeParse(need(values, 'sector'));
  if (!sector.success) throw new Refused(`--sector "${values.sector}": must be one of ${SECTORS.join(', ')}`);
  const creditCode = values['credit-code'];
  const file = registryPath(values, io);
  const reg = openRegistryDocument(file, true);
  if (reg.site(id)) throw new Refused(`a site with id "${id}" is already in ${file}`);
  const entry: Record<string, unknown> = { id, name, sector: sector.data };
  if (creditCode !== undefined) {
    // Pilot-era codes fail the check character yet are real: warn, as the gateway does, and keep it.
    const why = checkCreditCode(creditCode);
    if (why) io.err(`warning: credit code ${creditCode}: ${why}\n`);
    entry.creditCode = creditCode;
  }
  entry.devices = [];
  (reg.doc.get('sites') as { add(v: unknown): void }).add(reg.doc.createNode(entry));
  reg.save();
  io.out(`Site ${id} added to ${file}.\n`);
  return 0;
}

function addDevice(args: string[], io: RegistryCliIo): number {
  const { values } = parseArgs({ args, options: { site: { type: 'string' }, id: { type: 'string' }, kind: { type: 'string' }, ...fileOption }, strict: true });
  const siteId = need(values, 'site');
  const id = checkId('device id', need(values, 'id'));
  const kind = deviceKindSchema.safeParse(values.kind ?? 'sensor');
  if (!kind.success) throw new Refused(`--kind "${values.kind}": must be one of sensor, camera, gateway`);
  const file = registryPath(values, io);
  const reg = openRegistryDocument(file, false);
  const site = reg.site(siteId);
  if (!site) throw new Refused(`no site "${siteId}" in ${file} (add it first with add-site)`);
  // Device ids are MQTT usernames: unique across the whole registry, not only within a site.
  const taken = reg.device(id);
  if (taken) throw new Refused(`a device with id "${id}" is already in ${file} (site ${String(taken.site.get('id'))})`);
  const secret = newSecret();
  appendDevice(site, { id, kind: kind.data, secretHash: hashSecret(secret) }, reg.doc);
  reg.save();
  io.out(`Device ${id} (${kind.data}) added to site ${siteId} in ${file}.\n`);
  printSecret(io, id, secret, file);
  return 0;
}

function rotateSecret(args: string[], io: RegistryCliIo): number {
  const { values } = parseArgs({ args, options: { id: { type: 'string' }, ...fileOption }, strict: true });
  const id = need(values, 'id');
  const file = registryPath(values, io);
  const reg = openRegistryDocument(file, false);
  const found = reg.device(id);
  if (!found) throw new Refused(`no device "${id}" in ${file}`);
  const secret = newSecret();
  // A plain development secret goes too: a device has exactly one of secret or secretHash.
  found.device.delete('secret');
  found.device.set('secretHash', hashSecret(secret));
  reg.save();
  io.out(`Secret of device ${id} replaced in ${file}; the old one no longer connects once the gateway restarts.\n`);
  printSecret(io, id, secret, file);
  return 0;
}

async function hash(args: string[], io: RegistryCliIo): Promise<number> {
  parseArgs({ args, options: {}, strict: true });
  // Only the line ending of `echo` or a terminal is dropped; other spaces are part of the secret.
  const secret = (await io.readStdin()).replace(/\r?\n$/, '');
  if (secret.length < 8) throw new Refused('a secret must be at least 8 characters (read from standard input)');
  if (secret.length > 256) throw new Refused('a secret must be at most 256 characters');
  io.out(`${hashSecret(secret)}\n`);
  return 0;
}

/** Runs one command; returns the exit status. Never throws for user errors. */
export async function run(argv: string[], io: RegistryCliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(usage);
    return 0;
  }
  try {
    switch (command) {
      case 'add-site':
        return addSite(rest, io);
      case 'add-device':
        return addDevice(rest, io);
      case 'rotate-secret':
        return rotateSecret(rest, io);
      case 'hash':
        return await hash(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.out(usage);
        return 0;
      case undefined:
        io.err(usage);
        return 2;
      default:
        io.err(`unknown command "${command}"\n\n${usage}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof Refused) {
      io.err(`${command}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof RegistryError) {
      io.err(`${command}: ${err.message}\n`);
      return 1;
    }
    // parseArgs reports unknown or malformed options this way.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${command}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await run(process.argv.slice(2));
}
