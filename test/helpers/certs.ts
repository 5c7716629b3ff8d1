// Certificates made for a test with the real `openssl`: a self-signed server certificate for
// localhost / 127.0.0.1, and a separate client CA that signs device certificates (CN = device id).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  /** Server certificate and key files (self-signed; the certificate is its own CA). */
  serverCert: string;
  serverKey: string;
  /** The CA that signs client certificates, for GATEWAY_TLS_CA. */
  clientCa: string;
  /** PEM contents of the server certificate, to pass as `ca` to a client. */
  serverCertPem: Buffer;
  /** Makes a client certificate with this CN, signed by the client CA. */
  client(cn: string): { cert: Buffer; key: Buffer };
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'gw-certs-'));
  // The SAN lets clients check the host name when they connect to 127.0.0.1.
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '2', '-keyout', 'server.key', '-out', 'server.crt', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  // EC keys for the client side: quick to make, and a different key type exercises both.
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=Test device CA', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.crt']);
  let serial = 1;
  return {
    dir,
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCa: join(dir, 'ca.crt'),
    serverCertPem: readFileSync(join(dir, 'server.crt')),
    client(cn) {
      const name = `client-${serial}`;
      openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-days', '2', '-out', `${name}.crt`]);
      return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
