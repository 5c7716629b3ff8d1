import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isMap, isSeq, type YAMLMap } from 'yaml';
import { deviceKindSchema, idSchema, sectorSchema, SECTORS } from '../domain/index.js';
import { checkCreditCode } from './credit-code.js';
import { openRegistryDocument } from './registry-document.js';
import { parseRegistry, RegistryError } from './registry.js';
import { hj212EntrySchema } from './schema.js';
import { isTimeZone } from '../hj212/time.js';
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
  add-device --protocol hj212 --site S --id D --mn MN [--crc hj212|modbus|either] [--timezone Z]
      add an HJ 212 data logger (数采仪) that logs in over TCP with its MN and a new random
      PW (24 characters; --pw-length 6-64); prints the PW once, stores only its hash
  rotate-secret --id D
      replace a device's secret (or plain secret) with a new random one; prints it once
      (for an HJ 212 device: its PW)
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

/** An HJ 212 PW: upper-case hex, which no logger's PW field or the frame grammar trips on. */
function newHj212Password(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').toUpperCase().slice(0, length);
}

function addDevice(args: string[], io: RegistryCliIo): number {
  const { values } = parseArgs({
    args,
    options: { site: { type: 'string' }, id: { type: 'string' }, kind: { type: 'string' }, protocol: { type: 'string' }, mn: { type: 'string' }, crc: { type: 'string' }, timezone: { type: 'string' }, 'pw-length': { type: 'string' }, ...fileOption },
    strict: true,
  });
  const protocol = values.protocol ?? 'mqtt';
  if (protocol !== 'mqtt' && protocol !== 'hj212') throw new Refused(`--protocol "${protocol}": must be mqtt or hj212`);
  if (protocol === 'mqtt' && (values.mn || values.crc || values.timezone || values['pw-length'])) throw new Refused('--mn, --crc, --timezone and --pw-length are for --protocol hj212');
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
  if (protocol === 'hj212') return addHj212Device(values, { site, siteId, id, kind: kind.data, file, reg }, io);
  const secret = newSecret();
  appendDevice(site, { id, kind: kind.data, secretHash: hashSecret(secret) }, reg.doc);
  reg.save();
  io.out(`Device ${id} (${kind.data}) added to site ${siteId} in ${file}.\n`);
  printSecret(io, id, secret, file);
  return 0;
}

function addHj212Device(
  values: Record<string, string | boolean | undefined>,
  at: { site: YAMLMap; siteId: string; id: string; kind: string; file: string; reg: ReturnType<typeof openRegistryDocument> },
  io: RegistryCliIo,
): number {
  const mn = need(values, 'mn');
  const length = Number(values['pw-length'] ?? 24);
  if (!Number.isInteger(length) || length < 6 || length > 64) throw new Refused('--pw-length: a whole number 6-64');
  const password = newHj212Password(length);
  const hj212 = hj212EntrySchema.safeParse({ mn, password, crc: values.crc ?? 'hj212', ...(values.timezone ? { timezone: values.timezone } : {}) });
  if (!hj212.success) throw new Refused(hj212.error.issues.map((i) => `--${String(i.path[0] ?? 'mn')}: ${i.message}`).join('; '));
  if (typeof values.timezone === 'string' && !isTimeZone(values.timezone)) throw new Refused(`--timezone "${values.timezone}": not a time zone this system knows (e.g. Asia/Shanghai)`);
  // MNs are unique: a connection is bound to the device its MN names.
  const doc = parseRegistryText(at.reg);
  const taken = doc?.byMn(mn);
  if (taken) throw new Refused(`MN "${mn}" is already used by device ${taken.device} in ${at.file}`);
  const entry: Record<string, unknown> = { id: at.id, kind: at.kind, protocol: 'hj212', hj212: { mn, passwordHash: hashSecret(password), crc: hj212.data.crc, ...(values.timezone ? { timezone: values.timezone } : {}) } };
  appendDevice(at.site, entry as Record<string, string>, at.reg.doc);
  at.reg.save();
  io.out(`HJ 212 device ${at.id} (MN ${mn}, CRC ${hj212.data.crc}) added to site ${at.siteId} in ${at.file}.\n`);
  io.out(`PW of device ${at.id} (set it in the logger; shown only this once; it is NOT stored, ${at.file} keeps only its hash):\n  ${password}\n`);
  return 0;
}

/** The registry as the gateway would read it, for checks across sites (null when it is not valid yet). */
function parseRegistryText(reg: ReturnType<typeof openRegistryDocument>) {
  try {
    return parseRegistry(reg.doc.toJS(), 'registry');
  } catch {
    return null;
  }
}

function rotateSecret(args: string[], io: RegistryCliIo): number {
  const { values } = parseArgs({ args, options: { id: { type: 'string' }, ...fileOption }, strict: true });
  const id = need(values, 'id');
  const file = registryPath(values, io);
  const reg = openRegistryDocument(file, false);
  const found = reg.device(id);
  if (!found) throw new Refused(`no device "${id}" in ${file}`);
  const hj212 = found.device.get('hj212');
  if (isMap(hj212)) {
    const length = String(hj212.get('password') ?? '').length || 24;
    const password = newHj212Password(Math.max(6, length));
    hj212.delete('password');
    hj212.set('passwordHash', hashSecret(password));
    reg.save();
    io.out(`PW of HJ 212 device ${id} replaced in ${file}; set it in the logger (shown only this once):\n  ${password}\n`);
    return 0;
  }
  const secret = newSecret();
  // A plain development secret goes too: a device has exactly one of secret or secretHash.
  found.device.delete('secret');
  found.device.set('secretHash', hashSecret(secret));
  reg.save();
  io.out(`Secret of device ${id} replaced in ${file}; the running gateway reloads the file within seconds, ends the device's live connections and lets only the new one in.\n`);
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
