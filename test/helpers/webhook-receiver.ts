// A real HTTP endpoint that receives webhook deliveries: listens on port 0, records every
// request, and can be told to fail (answer 500) on purpose to exercise retries.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every request, in arrival order, failed or not. */
  requests: ReceivedRequest[];
  /** The requests answered 2xx. */
  accepted(): ReceivedRequest[];
  /** Answer 500 to the next `n` requests (on top of any already pending). */
  failNext(n: number): void;
  /** While true, every request is answered 500. */
  down: boolean;
  /** While true, requests are recorded (status 0) and never answered. */
  hang: boolean;
  /** Resolves when `check` over the requests so far gives a value. */
  until<T>(check: (r: ReceivedRequest[]) => T | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

/** True when `x-gateway-signature` is the HMAC-SHA256 of `<timestamp>.<body>` under `secret`. */
export function signatureValid(secret: string, r: ReceivedRequest): boolean {
  const ts = r.headers['x-gateway-timestamp'];
  const sig = r.headers['x-gateway-signature'];
  if (typeof ts !== 'string' || typeof sig !== 'string' || !sig.startsWith('sha256=')) return false;
  const want = Buffer.from(createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex'));
  const got = Buffer.from(sig.slice('sha256='.length));
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const listeners = new Set<() => void>();
  let toFail = 0;
  const receiver = {} as WebhookReceiver;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (receiver.hang) {
        requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: 0, at: Date.now() });
        for (const l of [...listeners]) l();
        return;
      }
      let status = 204;
      if (receiver.down) status = 500;
      else if (toFail > 0) (toFail--, (status = 500));
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 500 ? 'failing on purpose' : '');
      for (const l of [...listeners]) l();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;

  Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    down: false,
    hang: false,
    accepted: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    failNext(n: number) {
      toFail += n;
    },
    until<T>(check: (r: ReceivedRequest[]) => T | undefined | false, timeoutMs = 15_000, what = 'deliveries'): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const first = check(requests);
        if (first) return resolve(first);
        const listener = () => {
          const v = check(requests);
          if (!v) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(v);
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`webhook receiver: timed out after ${timeoutMs} ms waiting for ${what}; got ${requests.length} request(s)`));
        }, timeoutMs);
        listeners.add(listener);
      });
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
  return receiver;
}
