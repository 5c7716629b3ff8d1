import type { Duplex } from 'node:stream';
import { ProtocolRefusal } from './parser-guards.js';

/** Token bucket per remote address: at most `perSecond` new connections a second, bursts up to it. */
export function createConnectionRateLimit(perSecond: number, now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    allow(address: string): boolean {
      if (perSecond <= 0) return true;
      const t = now();
      const b = buckets.get(address) ?? { tokens: perSecond, at: t };
      b.tokens = Math.min(perSecond, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      buckets.set(address, b);
      if (buckets.size > 100_000) buckets.clear();
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}

/**
 * Failed logins, per key: after `freeAttempts` failures, each further attempt must wait
 * 2^(failures - freeAttempts) seconds (capped), and is refused before any secret is checked.
 * An attempt is charged as a failure when it starts (`charge`), before the asynchronous secret
 * check, so concurrent attempts cannot all slip under the limit; a success refunds it.
 */
export function createLoginBackoff(freeAttempts: number, maxDelayMs: number, now: () => number = Date.now) {
  const failures = new Map<string, { count: number; last: number }>();
  return {
    /** Milliseconds the key must still wait, 0 when it may try. */
    waitFor(key: string): number {
      const f = failures.get(key);
      if (!f || f.count < freeAttempts) return 0;
      const delay = Math.min(maxDelayMs, 1000 * 2 ** (f.count - freeAttempts));
      return Math.max(0, f.last + delay - now());
    },
    /** Counts an attempt as failed until it succeeds. */
    charge(key: string): void {
      const f = failures.get(key) ?? { count: 0, last: 0 };
      f.count++;
      f.last = now();
      failures.set(key, f);
      if (failures.size > 100_000) failures.clear();
    },
    /** Counts a failure after the fact (callers that check synchronously, such as the HJ 212 listener). */
    failed(key: string): void {
      this.charge(key);
    },
    /** A charged attempt succeeded: one failure is taken back; with `clear`, all of them. */
    succeeded(key: string, clear = false): void {
      const f = failures.get(key);
      if (!f) return;
      if (clear || f.count <= 1) failures.delete(key);
      else f.count--;
    },
  };
}

interface MqttParser {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/**
 * aedes sets no limit on packet size: a client could announce a 256 MB packet and the broker
 * would buffer it. This wraps the client's parser so a packet announcing more than `max` bytes
 * is a protocol error (the connection closes) before its body is read.
 */
export function limitPacketSize(client: unknown, maxOf: () => number, onTooLarge: (length: number) => void): void {
  const parser = (client as { _parser?: MqttParser })._parser;
  if (!parser || typeof parser._parseLength !== 'function') throw new Error('aedes client has no parser to guard (aedes version changed?)');
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    const ok = parseLength();
    const max = ok ? maxOf() : 0;
    if (ok && parser.packet.length > max) {
      onTooLarge(parser.packet.length);
      parser._emitError(new ProtocolRefusal('packet_too_large', `packet of ${parser.packet.length} bytes exceeds the limit of ${max}`));
      return false;
    }
    return ok;
  };
}

const CONNACK_SERVER_UNAVAILABLE = Buffer.from([0x20, 0x02, 0x00, 0x03]);
// MQTT 5: reason code 0x88 (server unavailable), no properties.
const CONNACK_V5_SERVER_UNAVAILABLE = Buffer.from([0x20, 0x03, 0x00, 0x88, 0x00]);
const BUSY_WAIT_MS = 2000;
const MAX_BUSY_PENDING = 1000;
let busyPending = 0;

/** The protocol level a CONNECT's first bytes announce; undefined until enough arrived, null if not a CONNECT. */
function connectLevel(head: Buffer): number | undefined | null {
  if (head.length === 0) return undefined;
  if (head[0] !== 0x10) return null;
  let i = 1;
  while (i < head.length && i < 5 && head[i]! & 0x80) i++;
  i++; // past the last byte of the remaining length
  if (head.length < i + 2) return undefined;
  const at = i + 2 + head.readUInt16BE(i);
  return at < head.length ? head[at]! : undefined;
}

/**
 * A connection over the rate limit: its CONNECT is answered with CONNACK 0x03 (server
 * unavailable) and it is closed, so the client learns why instead of seeing a reset. It never
 * reaches aedes; it waits at most 2 s for the CONNECT, and past 1,000 such connections at once
 * the rest are closed at once.
 */
export function refuseBusy(stream: Duplex): void {
  if (busyPending >= MAX_BUSY_PENDING) {
    stream.destroy();
    return;
  }
  busyPending++;
  let head = Buffer.alloc(0);
  let finished = false;
  const finish = (answer?: Buffer) => {
    if (finished) return;
    finished = true;
    busyPending--;
    clearTimeout(timer);
    stream.removeListener('data', onData);
    if (!answer) return void stream.destroy();
    stream.end(answer);
    setTimeout(() => stream.destroy(), 1000).unref();
  };
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]).subarray(0, 64);
    const level = connectLevel(head);
    if (level === undefined && head.length < 64) return;
    finish(level === null || level === undefined ? undefined : level === 5 ? CONNACK_V5_SERVER_UNAVAILABLE : CONNACK_SERVER_UNAVAILABLE);
  };
  const timer = setTimeout(() => finish(), BUSY_WAIT_MS);
  timer.unref();
  stream.on('data', onData);
  stream.on('error', () => finish());
  stream.on('close', () => finish());
}
