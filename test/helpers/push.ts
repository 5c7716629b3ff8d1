// A device pushing over real HTTP: Basic credentials, JSON, XML or multipart bodies.
import { request } from 'node:https';

export const basic = (id: string, secret = `${id}-secret`) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export interface Pushed {
  status: number;
  headers: Headers;
  body: any;
}

/** POSTs to `/ingest/v1/<path>` with the device's credentials (none when `auth` is null). */
export async function push(httpUrl: string, path: string, body: string | Buffer | FormData, opts: { auth?: string | null; contentType?: string } = {}): Promise<Pushed> {
  const headers: Record<string, string> = {};
  if (opts.auth !== null) headers.authorization = opts.auth ?? basic('gas-01');
  if (!(body instanceof FormData)) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(`${httpUrl}/ingest/v1/${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** POSTs JSON over HTTPS with a client certificate (mutual TLS) and no Basic credentials. */
export function pushWithCertificate(port: number, path: string, json: unknown, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(json));
    const req = request({ host: '127.0.0.1', port, path: `/ingest/v1/${path}`, method: 'POST', ...tls, headers: { 'content-type': 'application/json', 'content-length': data.length }, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}
