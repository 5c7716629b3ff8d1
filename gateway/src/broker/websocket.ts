import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';

export interface WebSocketListenerOptions {
  path: string;
  /**
   * Origins (scheme://host[:port]) a browser page may connect from. A request without an Origin
   * header (a device, not a browser) and one from the gateway's own origin (Origin host equal
   * to the Host header) always may; `*` lets any page connect.
   */
  allowedOrigins: readonly string[];
  maxPayload: number;
  /** A refused upgrade or connection: `reason` is the counter label. */
  refused(reason: 'ws_origin' | 'ws_text_frame', detail: Record<string, unknown>): void;
  handle(stream: Duplex, address: string, req: IncomingMessage): void;
}

/** Whether a browser page of `origin` may open MQTT over WebSocket on this request. */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * MQTT over WebSocket (MQTT 3.1.1 section 6) at `path` of an HTTP server: the subprotocol
 * answered is `mqtt` and nothing else (MQTT-6.0.0-4), and a text frame closes the connection
 * (MQTT-6.0.0-1) before any of its bytes reach the MQTT parser.
 */
export function attachMqttWebSocket(server: HttpServer, opts: WebSocketListenerOptions): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayload,
    handleProtocols: (offered) => (offered.has('mqtt') ? 'mqtt' : false),
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== opts.path) return socket.destroy();
    const origin = req.headers.origin;
    if (!originAllowed(origin, req.headers.host, opts.allowedOrigins)) {
      opts.refused('ws_origin', { origin: origin?.slice(0, 200), address: req.socket.remoteAddress });
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      refuseTextFrames(ws, () => opts.refused('ws_text_frame', { address: req.socket.remoteAddress }));
      opts.handle(createWebSocketStream(ws), req.socket.remoteAddress ?? 'unknown', req);
    });
  });
  return wss;
}

/**
 * Intercepts `message` before the stream created on `ws` sees it: a text frame terminates the
 * connection and its bytes are never pushed into the stream.
 */
function refuseTextFrames(ws: WebSocket, onRefused: () => void): void {
  const emit = ws.emit.bind(ws);
  ws.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === 'message' && args[1] === false) {
      onRefused();
      ws.terminate();
      return true;
    }
    return emit(event, ...args);
  }) as WebSocket['emit'];
}
