// Slow HTTP clients (issue 20, finding 10): a body trickled 1 byte every 2 s, or headers that
// never end, are cut off after GATEWAY_HTTP_REQUEST_TIMEOUT / GATEWAY_HTTP_HEADERS_TIMEOUT,
// while long responses (the event stream) and MQTT over WebSocket are not.
import { connect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/src/config.js';
import { raise } from '../helpers/events.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { openSse } from '../helpers/sse.js';

/** Writes `head`, then one byte of `drip` every `everyMs`; resolves with what the server sent once it closed, or null if still open at `giveUpMs`. */
function trickle(port: number, head: string, drip: string, everyMs: number, giveUpMs: number): Promise<{ closedAfterMs: number; answer: string } | null> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < drip.length) socket.write(drip[i++]!);
    }, everyMs);
    const giveUp = setTimeout(() => finish(null), giveUpMs);
    function finish(r: { closedAfterMs: number; answer: string } | null) {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve(r);
    }
    socket.on('data', (c) => (answer += c.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => finish({ closedAfterMs: Date.now() - started, answer }));
    socket.write(head);
  });
}

const REQUEST_TIMEOUT_MS = 3_000;
const HEADERS_TIMEOUT_MS = 2_000;
// The timeouts plus the server's check interval, with a wide margin for a loaded machine; the
// gateway without these limits held such a connection for minutes.
const GIVE_UP_MS = 40_000;

describe('HTTP request timeouts', () => {
  let gw: TestGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startTestGateway({ INFLUX_URL: '', GATEWAY_HTTP_REQUEST_TIMEOUT: `${REQUEST_TIMEOUT_MS}ms`, GATEWAY_HTTP_HEADERS_TIMEOUT: `${HEADERS_TIMEOUT_MS}ms` });
    port = Number(new URL(gw.httpUrl).port);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('closes a request whose body arrives 1 byte every 2 s once the request timeout is over', async () => {
    const head = `POST /api/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const r = await trickle(port, head, '{'.padEnd(1000, ' '), 2_000, GIVE_UP_MS);
    expect(r).not.toBeNull();
    expect(r!.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 500);
    expect(r!.answer).toMatch(/^HTTP\/1\.1 408|^$/);
  }, GIVE_UP_MS + 10_000);

  it('closes a connection whose headers never end once the headers timeout is over', async () => {
    const r = await trickle(port, 'GET /healthz HTTP/1.1\r\n', 'X-Slow: '.padEnd(200, 'a'), 1_000, GIVE_UP_MS);
    expect(r).not.toBeNull();
    expect(r!.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 500);
  }, GIVE_UP_MS + 10_000);

  it('keeps an event stream open longer than the request timeout and delivers to it', async () => {
    const stream = await openSse(`${gw.httpUrl}/api/events/stream`, { token: TEST_TOKEN });
    try {
      expect(stream.status).toBe(200);
      await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS + 5_000));
      await raise(gw, 'ch4-01', { ch4: 2 });
      const m = await stream.until((msg) => msg.json?.event?.device === 'ch4-01' || msg.json?.device === 'ch4-01', 15_000, 'the raise on the stream');
      expect(m).toBeDefined();
    } finally {
      stream.close();
    }
  }, 40_000);

  it('keeps MQTT over WebSocket connected longer than the request timeout', async () => {
    const dev = mqtt.connect(`${gw.httpUrl.replace('http', 'ws')}/mqtt`, { clientId: 'gas-01', username: 'gas-01', password: 'gas-01-secret', reconnectPeriod: 0, keepalive: 0 });
    try {
      await new Promise<void>((res, rej) => (dev.once('connect', () => res()), dev.once('error', rej)));
      await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS + 5_000));
      await dev.publishAsync('sites/hb-chem-001/devices/gas-01/telemetry', JSON.stringify({ ts: Date.now(), metrics: { gas_lel: 1 } }), { qos: 1 });
      expect(dev.connected).toBe(true);
    } finally {
      dev.end(true);
    }
  }, 40_000);
});

describe('HTTP timeout settings', () => {
  it('defaults to a 60 s request timeout and a 20 s headers timeout', () => {
    const c = loadConfig({});
    expect([c.GATEWAY_HTTP_REQUEST_TIMEOUT, c.GATEWAY_HTTP_HEADERS_TIMEOUT]).toEqual([60_000, 20_000]);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() => loadConfig({ GATEWAY_HTTP_REQUEST_TIMEOUT: '10s', GATEWAY_HTTP_HEADERS_TIMEOUT: '20s' })).toThrow(/GATEWAY_HTTP_HEADERS_TIMEOUT/);
  });
});
