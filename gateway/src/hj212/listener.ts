// HJ 212 over TCP (and TLS): one connection is one data logger. The first frame logs in with
// its MN and PW; the connection is then bound to that device. Every frame is accepted or
// refused with a counted reason; acknowledgements (9014) go out only once what the frame
// carried is durable in the outbox.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Reading } from '../domain/index.js';
import { createConnectionRateLimit, createLoginBackoff } from '../broker/guards.js';
import { createRateLimitedLog, type Logger, type Metrics } from '../observability/index.js';
import { verifySecret, type RegisteredDevice, type Registry } from '../registry/index.js';
import type { CrcMode } from './crc.js';
import { parseCp } from './cp.js';
import { decodeData } from './decode.js';
import { replyFrame } from './encode.js';
import { Framer, type FramerOutput, type RawFrame } from './framer.js';
import type { Packet } from './packet.js';
import { noticeOf, NOTICE_CNS, type Hj212Notice } from './notices.js';
import { INTERVAL_BY_CN, valuesOf } from './readings.js';
import { Reassembler, defaultSplitLimits, type SplitLimits } from './split.js';
import { parseLocalTime } from './time.js';

/** Labels of gateway_hj212_frames_total{outcome}. README "HJ 212" documents each. */
export const HJ212_OUTCOMES = [
  'accepted',
  'bad_header',
  'bad_length',
  'too_large',
  'not_ascii',
  'bad_crc',
  'bad_packet',
  'bad_datatime',
  'unknown_mn',
  'bad_password',
  'foreign_mn',
  'login_backoff',
  'too_old',
  'rejected',
  'split_invalid',
  'split_timeout',
  'frame_timeout',
  'storage_failed',
] as const;
export type Hj212Outcome = (typeof HJ212_OUTCOMES)[number];

/** One accepted frame, as stored in measurement hj212_frame. */
export interface FrameRecord {
  sha256: string;
  /** The frame as received, without its CRLF (ASCII by construction). */
  raw: string;
  qn?: string;
  cn: string;
  receivedAt: number;
}

export type EventTimeResult = { ok: true; ts: number; skewed: boolean; late?: boolean; arrival?: boolean } | { ok: false; detail: string };

/** What the listener hands accepted data to (the pipeline, wired in app.ts). */
export interface Hj212Ingest {
  /** Readings of one message; resolves once durable, or with the reason they were refused. */
  readings(device: RegisteredDevice, readings: Reading[]): Promise<{ ok: true } | { ok: false; reason: string; detail: string }>;
  /** The frames' records (hj212_frame); resolves once durable. */
  frames(device: RegisteredDevice, frames: FrameRecord[]): Promise<void>;
  /** A 2081 (restart) or 2072 (logger alarm) frame: kept beyond its raw text; resolves once durable. */
  notice?(device: RegisteredDevice, notice: Hj212Notice): Promise<void>;
  /** A frame without readings (heartbeat, status) came in: the device is alive. */
  seen(device: RegisteredDevice): void;
  connection(device: RegisteredDevice, online: boolean): void;
  /** The late-data policy: a device time (undefined when the frame has none) to the reading time. */
  eventTime(ts: number | undefined, receivedAt: number): EventTimeResult;
}

export interface Hj212Limits {
  /** Largest data segment accepted (GATEWAY_HJ212_MAX_FRAME). */
  maxFrame: number;
  split: SplitLimits;
  /** A frame begun but not finished within this is refused (frame_timeout). */
  frameTimeoutMs: number;
  /** A connection must log in within this. */
  loginTimeoutMs: number;
  /** A connection silent for this long is closed (loggers send heartbeats). */
  idleTimeoutMs: number;
  /** Refused logins on one connection before it is closed. */
  loginAttempts: number;
  /** Frames queued for one connection before reading from it pauses. */
  maxQueued: number;
  maxConnections: number;
  connectionsPerSecond: number;
  freeLoginFailures: number;
  maxLoginBackoffMs: number;
}

export const defaultHj212Limits: Hj212Limits = {
  maxFrame: 1024,
  split: defaultSplitLimits,
  frameTimeoutMs: 30_000,
  loginTimeoutMs: 30_000,
  idleTimeoutMs: 10 * 60_000,
  loginAttempts: 3,
  maxQueued: 32,
  maxConnections: 10_000,
  connectionsPerSecond: 50,
  freeLoginFailures: 5,
  maxLoginBackoffMs: 5 * 60_000,
};

export interface Hj212ListenerOptions {
  registry: () => Registry;
  ingest: Hj212Ingest;
  metrics: Metrics;
  logger: Logger;
  clock?: () => number;
  /** Zone of DataTime when the device names none (GATEWAY_TIMEZONE). */
  timezone: string;
  limits?: Partial<Hj212Limits>;
  /**
   * Failed device logins per address shared with the broker and HTTP push: a login here waits
   * for it too and a failure here counts there, so alternating protocols gains no attempts.
   * The listener's own, stricter per-address count still applies.
   */
  sharedBackoff?: { address: ReturnType<typeof createLoginBackoff> };
  /** Packets from a bound device that answer the gateway's commands (9011, 9012, 1011, 1061...). */
  onReply?: (device: RegisteredDevice, packet: Packet, record: FrameRecord) => void;
}

/** CNs a logger sends in answer to the gateway's requests: they go to `onReply`. */
const REPLY_CNS = new Set(['9011', '9012', '1011', '1061', '1013']);

interface Conn {
  socket: Socket;
  address: string;
  framer: Framer;
  split: Reassembler<FrameRecord & { packet: Packet }>;
  device?: RegisteredDevice;
  pw?: Buffer;
  /** ST of the logger's last frame: downlink commands use it. */
  st?: string;
  mode: CrcMode;
  refusedLogins: number;
  queued: number;
  chain: Promise<void>;
  openedAt: number;
  lastByteAt: number;
  /** When the framer started holding a partial frame, or null. */
  partialSince: number | null;
  closed: boolean;
}

export function createHj212Listener(opts: Hj212ListenerOptions) {
  const clock = opts.clock ?? Date.now;
  const limits: Hj212Limits = { ...defaultHj212Limits, ...opts.limits };
  const log = opts.logger;
  const refuseLog = createRateLimitedLog(60_000, clock);
  const frames = opts.metrics.counter('gateway_hj212_frames_total', 'HJ 212 frames, by outcome (accepted or the reason for refusal)');
  const conns = new Set<Conn>();
  const bound = new Map<string, Conn>();
  opts.metrics.gauge('gateway_hj212_connections', 'HJ 212 TCP connections open, by state', () => [
    { labels: { state: 'logged_in' }, value: bound.size },
    { labels: { state: 'login' }, value: conns.size - bound.size },
  ]);
  opts.metrics.gauge('gateway_hj212_held_bytes', 'Bytes held for unfinished HJ 212 frames and split messages', () => held());
  const rate = createConnectionRateLimit(limits.connectionsPerSecond, clock);
  const backoff = createLoginBackoff(limits.freeLoginFailures, limits.maxLoginBackoffMs, clock);
  const servers: Server[] = [];
  let sweeper: NodeJS.Timeout | undefined;

  function count(outcome: Hj212Outcome, c: Conn, detail: string, n = 1) {
    frames.inc({ outcome }, n);
    if (outcome !== 'accepted' && refuseLog.shouldLog(`${c.address}|${outcome}`)) {
      log.warn({ address: c.address, device: c.device?.device, outcome, detail }, 'HJ 212 frame refused');
    }
  }

  function send(c: Conn, text: string) {
    if (!c.closed && c.socket.writable) c.socket.write(text, 'latin1');
  }

  function close(c: Conn) {
    if (c.closed) return;
    c.closed = true;
    c.socket.end();
    // A logger that does not read its socket must not keep it open: destroy after a grace period.
    setTimeout(() => c.socket.destroy(), 2000).unref();
  }

  function onSocket(socket: Socket) {
    const address = socket.remoteAddress ?? 'unknown';
    if (!rate.allow(address) || conns.size >= limits.maxConnections) {
      socket.destroy();
      return;
    }
    const now = clock();
    const c: Conn = {
      socket,
      address,
      framer: new Framer(limits.maxFrame),
      split: new Reassembler(limits.split),
      mode: 'either',
      refusedLogins: 0,
      queued: 0,
      chain: Promise.resolve(),
      openedAt: now,
      lastByteAt: now,
      partialSince: null,
      closed: false,
    };
    conns.add(c);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      c.lastByteAt = clock();
      for (const out of c.framer.push(chunk)) enqueue(c, out);
      c.partialSince = c.framer.pending() > 0 ? (c.partialSince ?? c.lastByteAt) : null;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      c.closed = true;
      for (const out of c.framer.end()) enqueue(c, out);
      conns.delete(c);
      const d = c.device;
      if (d && bound.get(d.device) === c) {
        bound.delete(d.device);
        opts.ingest.connection(d, false);
        log.info({ site: d.site, device: d.device, address }, 'HJ 212 logger disconnected');
      }
    });
  }

  /** Frames of one connection are handled in order; reading pauses while too many wait. */
  function enqueue(c: Conn, out: FramerOutput) {
    c.queued++;
    if (c.queued > limits.maxQueued) c.socket.pause();
    c.chain = c.chain
      .then(() => handle(c, out))
      .catch((err) => log.error({ err }, 'HJ 212 frame handling failed'))
      .finally(() => {
        c.queued--;
        if (c.queued <= limits.maxQueued / 4 && !c.closed) c.socket.resume();
      });
  }

  async function handle(c: Conn, out: FramerOutput): Promise<void> {
    if (out.type === 'refused') {
      count(out.reason, c, out.detail);
      return;
    }
    const now = clock();
    const registry = opts.registry();
    // Before login the MN of the frame says whose CRC mode applies (either, for an unknown MN).
    const decoded = decodeData(out.frame.data, out.frame.crc, c.device ? c.mode : (p) => registry.byMn(p.mn)?.entry.hj212?.crc ?? 'either');
    if (!decoded.ok) {
      count(decoded.reason, c, decoded.detail);
      return;
    }
    const packet = decoded.packet;
    if (!c.device) {
      if (!(await login(c, packet, registry))) return;
    } else if (packet.mn !== c.device.entry.hj212!.mn) {
      count('foreign_mn', c, `MN ${packet.mn} on a connection of ${c.device.entry.hj212!.mn}`);
      return;
    } else if (!samePassword(c.pw!, packet.pw)) {
      count('bad_password', c, 'PW differs from the one this connection logged in with');
      return;
    }
    const device = c.device!;
    if (packet.st !== undefined && packet.st !== '91') c.st = packet.st;
    const record: FrameRecord & { packet: Packet } = { sha256: sha256(out.frame), raw: out.frame.raw.toString('latin1', 0, out.frame.raw.length - 2), cn: packet.cn, receivedAt: now, packet };
    if (packet.qn !== undefined) record.qn = packet.qn;
    const split = c.split.add(packet, record, now);
    if (split.type === 'held') return;
    if (split.type === 'refused') {
      count(split.reason, c, split.detail);
      return;
    }
    await deliver(c, device, split.packet, split.parts.map((p) => p.tag));
  }

  async function login(c: Conn, packet: Packet, registry: Registry): Promise<boolean> {
    const shared = opts.sharedBackoff?.address;
    const wait = Math.max(backoff.waitFor(c.address), shared?.waitFor(c.address) ?? 0);
    if (wait > 0) {
      count('login_backoff', c, `${Math.ceil(wait / 1000)} s left after repeated failed logins from ${c.address}`);
      close(c);
      return false;
    }
    const device = registry.byMn(packet.mn);
    const hj = device?.entry.protocol === 'hj212' ? device.entry.hj212 : undefined;
    // QnRtn 4 = MN wrong, 3 = PW wrong (HJ 212-2017 9011), sent when the frame asked for an answer.
    if (!device || !hj) return refuseLogin(c, packet, 'unknown_mn', '4', `MN ${packet.mn} is not a registered HJ 212 device`);
    const ok = packet.pw !== undefined && (await verifySecret(packet.pw, { secret: hj.password, secretHash: hj.passwordHash }));
    if (!ok) return refuseLogin(c, packet, 'bad_password', '3', `wrong or missing PW for MN ${packet.mn}`);
    if (c.closed) return false;
    backoff.succeeded(c.address);
    shared?.succeeded(c.address);
    c.device = device;
    c.pw = Buffer.from(packet.pw!, 'latin1');
    c.mode = hj.crc;
    const previous = bound.get(device.device);
    if (previous && previous !== c) {
      // The logger reconnected (its old link may be half-open): the newest connection wins.
      close(previous);
      log.info({ device: device.device, address: c.address, previous: previous.address }, 'HJ 212 logger reconnected; the older connection is closed');
    }
    bound.set(device.device, c);
    opts.ingest.connection(device, true);
    log.info({ site: device.site, device: device.device, mn: hj.mn, address: c.address }, 'HJ 212 logger logged in');
    return true;
  }

  function refuseLogin(c: Conn, packet: Packet, outcome: 'unknown_mn' | 'bad_password', qnRtn: string, detail: string): false {
    count(outcome, c, detail);
    backoff.failed(c.address);
    opts.sharedBackoff?.address.failed(c.address);
    if (packet.flag?.ack) send(c, replyFrame('9011', { qn: packet.qn, mn: packet.mn }, `QnRtn=${qnRtn}`, 'hj212', packet.flag.versionBits));
    if (++c.refusedLogins >= limits.loginAttempts) close(c);
    return false;
  }

  /** A complete message (one frame, or the parts of a split one) of a bound device. */
  async function deliver(c: Conn, device: RegisteredDevice, packet: Packet, parts: (FrameRecord & { packet: Packet })[]): Promise<void> {
    const records: FrameRecord[] = parts.map(({ packet: _p, ...r }) => r);
    const now = clock();
    const cn = packet.cn;
    let readings: Reading[] = [];
    const interval = INTERVAL_BY_CN[cn];
    if (REPLY_CNS.has(cn)) opts.onReply?.(device, packet, records[0]!);
    if (interval !== undefined) {
      const cp = parseCp(packet.cp);
      const zone = device.entry.hj212!.timezone ?? opts.timezone;
      let deviceTs: number | undefined;
      if (cp.dataTime !== undefined) {
        deviceTs = parseLocalTime(cp.dataTime, zone);
        if (deviceTs === undefined) {
          count('bad_datatime', c, `DataTime=${cp.dataTime} is not a date and time`, parts.length);
          return;
        }
      }
      const time = opts.ingest.eventTime(deviceTs, now);
      if (!time.ok) {
        count('too_old', c, time.detail, parts.length);
        return;
      }
      const frame = records[0]!.sha256;
      readings = valuesOf(cp).map((v) => {
        const r: Reading = { site: device.site, device: device.device, sector: device.sector, kind: device.kind, metric: v.metric, value: v.value, ts: time.ts, receivedAt: now, skewed: time.skewed, valid: v.valid, interval, frame };
        if (v.flag !== undefined) r.flag = v.flag;
        if (time.late) r.late = true;
        if (time.arrival) r.arrival = true;
        return r;
      });
    }
    if (readings.length === 0) opts.ingest.seen(device);
    const notice = NOTICE_CNS.has(cn) ? noticeOf(cn, parseCp(packet.cp), device.entry.hj212!.timezone ?? opts.timezone, records[0]!.sha256, now) : undefined;
    let refusal: { reason: string; detail: string } | undefined;
    try {
      const [result] = await Promise.all([
        readings.length > 0 ? opts.ingest.readings(device, readings) : Promise.resolve({ ok: true as const }),
        opts.ingest.frames(device, records),
        notice && opts.ingest.notice ? opts.ingest.notice(device, notice) : undefined,
      ]);
      if (!result.ok) refusal = result;
    } catch (err) {
      // Nothing durable, nothing acknowledged: the logger sends it again.
      log.error({ err, device: device.device }, 'HJ 212 frame could not be written to the outbox');
      count('storage_failed', c, 'outbox write failed', parts.length);
      return;
    }
    if (refusal) {
      count(refusal.reason === 'too_old' ? 'too_old' : 'rejected', c, `${refusal.reason}: ${refusal.detail}`, parts.length);
      return;
    }
    count('accepted', c, '', parts.length);
    // The HJ 212 analogue of PUBACK: 9014 with the frame's QN, once durable, in the device's CRC mode.
    for (const p of parts) {
      const flag = p.packet.flag;
      // Acknowledgements (9013, 9014) are never acknowledged themselves.
      if (!flag?.ack || cn === '9013' || cn === '9014') continue;
      send(c, replyFrame('9014', { qn: p.packet.qn, mn: p.packet.mn, pw: p.packet.pw }, '', c.mode === 'modbus' ? 'modbus' : 'hj212', flag.versionBits));
    }
  }

  /** Bytes held for unfinished frames and split messages, over all connections. */
  function held(): number {
    let n = 0;
    for (const c of conns) n += c.framer.pending() + c.split.held();
    return n;
  }

  function sweep() {
    const now = clock();
    for (const c of conns) {
      if (c.closed) continue;
      if (c.partialSince !== null && now - c.partialSince >= limits.frameTimeoutMs) {
        // A frame begun and never finished: refuse what is held and start afresh.
        const held = c.framer.end();
        for (const out of held) count(out.type === 'refused' && out.reason === 'bad_length' ? 'frame_timeout' : out.type === 'refused' ? out.reason : 'bad_length', c, 'frame not finished in time');
        c.partialSince = null;
      }
      const expired = c.split.expire(now);
      if (expired > 0) count('split_timeout', c, `${expired} parts of a split message never completed`, expired);
      if (!c.device && now - c.openedAt >= limits.loginTimeoutMs) close(c);
      else if (now - c.lastByteAt >= limits.idleTimeoutMs) close(c);
    }
  }

  function startSweeper() {
    if (sweeper) return;
    sweeper = setInterval(sweep, 1000);
    sweeper.unref();
  }

  function listenOn(server: Server, port: number, host: string): Promise<{ port: number }> {
    servers.push(server);
    startSweeper();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve({ port: (server.address() as AddressInfo).port });
      });
    });
  }

  return {
    listen(port: number, host: string) {
      return listenOn(createServer(onSocket), port, host);
    },
    listenTls(port: number, host: string, tls: TlsOptions) {
      const server = createTlsServer(tls, onSocket);
      server.on('tlsClientError', () => undefined);
      return listenOn(server, port, host);
    },
    /** Sends a frame to a connected, logged-in device; false when it is not connected. */
    send(deviceId: string, text: string): boolean {
      const c = bound.get(deviceId);
      if (!c || c.closed) return false;
      send(c, text);
      return true;
    },
    /** The CRC mode and PW context a downlink frame to this device uses, when connected. */
    session(deviceId: string): { mode: CrcMode; mn: string; st?: string } | undefined {
      const c = bound.get(deviceId);
      return c && !c.closed ? { mode: c.mode === 'modbus' ? 'modbus' : 'hj212', mn: c.device!.entry.hj212!.mn, ...(c.st ? { st: c.st } : {}) } : undefined;
    },
    connected: () => bound.size,
    held,
    /** Closes a device's connection (it left the registry). */
    kick(deviceId: string) {
      const c = bound.get(deviceId);
      if (c) close(c);
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      for (const c of conns) close(c);
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      // Frames already being handled finish their outbox writes first.
      await Promise.all([...conns].map((c) => c.chain));
      for (const c of conns) c.socket.destroy();
    },
  };
}

export type Hj212Listener = ReturnType<typeof createHj212Listener>;

function sha256(frame: RawFrame): string {
  return createHash('sha256').update(frame.raw).digest('hex');
}

function samePassword(expected: Buffer, given: string | undefined): boolean {
  if (given === undefined) return false;
  const b = Buffer.from(given, 'latin1');
  return b.length === expected.length && timingSafeEqual(b, expected);
}
