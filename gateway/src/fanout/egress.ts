// Where the gateway may send webhooks. An admin-set URL must not reach the gateway's own
// private InfluxDB or anything else on loopback, link-local or private networks (SSRF), in any
// spelling of the address; the check is made on the resolved address the connection then uses,
// so a name that resolves differently the second time (DNS rebinding) gets nowhere either.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

const DENIED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const DENIED_V6: Array<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 of IPv4 addresses
  ['2002::', 16], // 6to4 of IPv4 addresses
];

const denied = new BlockList();
for (const [a, p] of DENIED_V4) denied.addSubnet(a, p, 'ipv4');
for (const [a, p] of DENIED_V6) denied.addSubnet(a, p, 'ipv6');

/** An IPv4 address written inside IPv6 (`::ffff:127.0.0.1`, `::ffff:7f00:1`), or null. */
function mappedV4(address: string): string | null {
  const m = /^::ffff:(?:0:)?(.+)$/i.exec(address);
  if (!m) return null;
  if (isIP(m[1]!) === 4) return m[1]!;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(m[1]!);
  if (!hex) return null;
  const n = (parseInt(hex[1]!, 16) << 16) | parseInt(hex[2]!, 16);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface EgressPolicy {
  /** Parsed allowlist: addresses the operator allows although they are private (GATEWAY_WEBHOOK_ALLOW). */
  allowed: BlockList;
}

/** `GATEWAY_WEBHOOK_ALLOW`: comma-separated addresses or CIDR ranges (IPv4 or IPv6). */
export function parseAllowList(text: string | undefined): EgressPolicy {
  const allowed = new BlockList();
  for (const raw of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr, bits] = raw.split('/') as [string, string | undefined];
    const family = isIP(addr);
    if (!family) throw new Error(`"${raw}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) allowed.addAddress(addr, type);
    else allowed.addSubnet(addr, Number(bits), type);
  }
  return { allowed };
}

/** Why an address may not be a webhook target, or null when it may. */
export function refusedAddress(address: string, policy: EgressPolicy): string | null {
  const v4 = mappedV4(address);
  const [addr, type] = v4 ? [v4, 'ipv4' as const] : [address, isIP(address) === 6 ? ('ipv6' as const) : ('ipv4' as const)];
  if (policy.allowed.check(addr, type) || (type === 'ipv4' && policy.allowed.check(`::ffff:${addr}`, 'ipv6'))) return null;
  if (denied.check(addr, type)) return `${addr} is a loopback, link-local, private or unspecified address`;
  return null;
}

/** Why a webhook URL is refused before any lookup (credentials, scheme), or null. */
export function refusedUrl(url: URL): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs';
  if (url.username || url.password) return 'a webhook URL must not carry credentials (user:password@)';
  return null;
}

export class EgressRefused extends Error {}

/**
 * A `lookup` for http.request (used for names; address literals are checked by `post`): resolves as usual, then refuses when any resolved address is
 * not allowed. The connection is made to the address checked here.
 */
export function guardedLookup(policy: EgressPolicy) {
  return (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const why = refusedAddress(a.address, policy);
        if (why) return callback(new EgressRefused(`target refused: ${why}`), []);
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Checks a webhook URL as a delivery would: scheme, credentials, then every resolved address. */
export async function checkTarget(urlText: string, policy: EgressPolicy): Promise<string | null> {
  const url = new URL(urlText);
  const early = refusedUrl(url);
  if (early) return early;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    guardedLookup(policy)(host, { all: true }, (err) => {
      if (!err) return resolve(null);
      resolve(err instanceof EgressRefused ? err.message.replace(/^target refused: /, '') : `the host does not resolve`);
    });
  });
}

/**
 * POSTs `body` and resolves with the status. No redirect is followed (a redirect could point
 * anywhere), and the connection goes only to an address `guardedLookup` allowed.
 */
export function post(urlText: string, headers: Record<string, string>, body: string, signal: AbortSignal, policy: EgressPolicy): Promise<number> {
  const url = new URL(urlText);
  const early = refusedUrl(url);
  if (early) return Promise.reject(new EgressRefused(`target refused: ${early}`));
  // An address literal is connected to without any lookup, so it is checked here.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) ? refusedAddress(host, policy) : null;
  if (literal) return Promise.reject(new EgressRefused(`target refused: ${literal}`));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal, lookup: guardedLookup(policy) as never }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
