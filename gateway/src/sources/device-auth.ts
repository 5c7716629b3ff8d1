import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { RegisteredDevice, Registry } from '../registry/index.js';
import { verifySecret } from '../registry/index.js';
import type { DeviceLoginBackoff } from './login-backoff.js';

export type DeviceAuth =
  | { ok: true; device: RegisteredDevice; by: 'secret' | 'certificate' }
  | { ok: false; reason: 'no_credentials' | 'unknown_device' | 'bad_secret' | 'login_backoff' | 'cert_required'; retryAfterS?: number };

export interface DeviceAuthOptions {
  registry: () => Registry;
  /** Shared with the broker and the HJ 212 listener (one count of failures for all protocols). */
  backoff: DeviceLoginBackoff;
  /** Mutual TLS is on (GATEWAY_TLS_CA): a secret alone is not enough, as on MQTT. */
  requireClientCert: boolean;
}

/** `Authorization: Basic base64(deviceId:secret)` (RFC 7617); null when absent or malformed. */
export function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { id: text.slice(0, colon), secret: text.slice(colon + 1) };
}

/**
 * A pushing device's identity: the verified client certificate (CN = device id) under mutual
 * TLS, or its id and secret by HTTP Basic, checked exactly as an MQTT login is (same secret
 * verification, same backoff per identity and address: refused before any secret is hashed).
 */
export function createDeviceAuth(opts: DeviceAuthOptions) {
  return async function authenticate(req: FastifyRequest): Promise<DeviceAuth> {
    // As the broker sees it (an IPv4 peer of a dual-stack socket is ::ffff:a.b.c.d), so both count one address.
    const address = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const tls = req.socket as Partial<TLSSocket>;
    const certified = typeof tls.getPeerCertificate === 'function' && tls.authorized === true;
    const creds = basicCredentials(req.headers.authorization);
    // As on MQTT: failures count per identity at an address, and each attempt is charged before
    // its asynchronous secret check (concurrent guesses cannot all slip under the limit).
    const key = `${address}|${creds?.id ?? (certified ? String(tls.getPeerCertificate!().subject?.CN ?? '') : '')}`;
    const { identity, address: perAddress } = opts.backoff;
    const wait = Math.max(identity.waitFor(key), perAddress.waitFor(address));
    if (wait > 0) return { ok: false, reason: 'login_backoff', retryAfterS: Math.ceil(wait / 1000) };
    identity.charge(key);
    perAddress.charge(address);
    const succeeded = (clear: boolean) => {
      identity.succeeded(key, clear);
      perAddress.succeeded(address);
    };
    const fail = (reason: Exclude<DeviceAuth, { ok: true }>['reason']): DeviceAuth => ({ ok: false, reason });
    if (certified) {
      const cn = tls.getPeerCertificate!().subject?.CN;
      const device = typeof cn === 'string' ? opts.registry().device(cn) : undefined;
      if (!device) return fail('unknown_device');
      // With a certificate, Basic credentials (if any) must name the same device and be right.
      if (creds && (creds.id !== device.device || !(await verifySecret(creds.secret, device.entry)))) return fail('bad_secret');
      succeeded(true);
      return { ok: true, device, by: 'certificate' };
    }
    if (!creds) {
      // Not a guess: nothing was checked, so nothing stays charged.
      succeeded(false);
      return { ok: false, reason: 'no_credentials' };
    }
    if (opts.requireClientCert) return fail('cert_required');
    const device = opts.registry().device(creds.id);
    if (!device) return fail('unknown_device');
    if (!(await verifySecret(creds.secret, device.entry))) return fail('bad_secret');
    succeeded(true);
    return { ok: true, device, by: 'secret' };
  };
}
