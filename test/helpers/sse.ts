// A real Server-Sent Events client for tests: node's http.get, the `text/event-stream` parsed
// as the WHATWG spec says (fields `id`, `event`, `data`; comment lines start with ':'; a blank
// line ends a message). Tests await messages as they arrive instead of sleeping.
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
  /** `data` parsed as JSON. */
  json: any;
}

export interface SseClient {
  status: number;
  /** The body of a refused request (status other than 200), parsed as JSON when it is. */
  body: any;
  messages: SseMessage[];
  /** Resolves with the first message so far or to come that satisfies `match`. */
  until(match: (m: SseMessage) => boolean, timeoutMs?: number, what?: string): Promise<SseMessage>;
  /** Resolves once at least `n` messages have arrived, with the first `n`. */
  take(n: number, timeoutMs?: number): Promise<SseMessage[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export interface SseOptions {
  token: string;
  lastEventId?: string | number;
}

function parseBlock(block: string): SseMessage | undefined {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  // A block with no data (such as `retry:` alone) dispatches no message.
  if (data.length === 0) return undefined;
  const text = data.join('\n');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { id, event, data: text, json };
}

export function openSse(url: string, opts: SseOptions): Promise<SseClient> {
  const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${opts.token}` };
  if (opts.lastEventId !== undefined) headers['last-event-id'] = String(opts.lastEventId);
  const messages: SseMessage[] = [];
  const listeners = new Set<() => void>();
  let req: ClientRequest;
  let endedResolve!: () => void;
  const ended = new Promise<void>((r) => (endedResolve = r));

  const notify = () => {
    for (const l of [...listeners]) l();
  };

  const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const now = check();
      if (now !== undefined) return resolve(now);
      const listener = () => {
        const v = check();
        if (v === undefined) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(v);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`SSE: timed out after ${timeoutMs} ms waiting for ${what}; got ${messages.length} message(s): ${messages.map((m) => `${m.id}:${m.json?.type}`).join(', ')}`));
      }, timeoutMs);
      listeners.add(listener);
    });

  return new Promise<SseClient>((resolve, reject) => {
    req = get(url, { headers }, (res: IncomingMessage) => {
      const client: SseClient = {
        status: res.statusCode ?? 0,
        body: undefined,
        messages,
        until: (match, timeoutMs = 10_000, what = 'a matching message') => waitUntil(() => messages.find(match), timeoutMs, what),
        take: (n, timeoutMs = 10_000) => waitUntil(() => (messages.length >= n ? messages.slice(0, n) : undefined), timeoutMs, `${n} message(s)`),
        ended,
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            client.body = JSON.parse(text);
          } catch {
            client.body = text;
          }
          endedResolve();
          resolve(client);
        });
        return;
      }
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk.replace(/\r\n?/g, '\n');
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const m = parseBlock(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (m) messages.push(m);
        }
        notify();
      });
      res.on('close', () => endedResolve());
      res.on('error', () => endedResolve());
      resolve(client);
    });
    req.on('error', (err) => {
      endedResolve();
      reject(err);
    });
  });
}

export interface StalledReader {
  /** Resolves once the response head has arrived (the server took the request). */
  head: Promise<void>;
  destroy(): void;
}

/**
 * An event-stream request over raw TCP from a reader that stops reading after the first bytes:
 * what a stalled or hostile client does. The kernel's socket buffers fill (a few MiB on
 * loopback), then the server's. Whether the server let go shows in its counters.
 */
export function stalledSseReader(httpUrl: string, token: string, lastEventId?: number): StalledReader {
  const { hostname, port } = new URL(httpUrl);
  const socket = netConnect(Number(port), hostname);
  const head = new Promise<void>((r) =>
    socket.once('data', () => {
      socket.pause();
      r();
    }),
  );
  socket.on('error', () => undefined);
  socket.write(
    `GET /api/events/stream HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n` +
      (lastEventId !== undefined ? `Last-Event-ID: ${lastEventId}\r\n` : '') +
      '\r\n',
  );
  return { head, destroy: () => socket.destroy() };
}
