import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { writeToStream } from 'mqtt-packet';
import type { WebSocketServer } from 'ws';
import type { Counter, Logger } from '../observability/index.js';
import { commandsTopic, prefixOf } from '../protocol/topics.js';
import type { RegisteredDevice, Registry } from '../registry/index.js';
import { verifySecret } from '../registry/index.js';
import { roleAtLeast, type Principal } from '../users/index.js';
import { createConnectionRateLimit, createLoginBackoff, limitPacketSize, refuseBusy } from './guards.js';
import { guardParser, ProtocolRefusal, refusalReason } from './parser-guards.js';
import { isSessionOnly, type SessionStore } from './sessions.js';
import { attachMqttWebSocket } from './websocket.js';

/** A QoS 1/2 publish whose acknowledgement waits for its own and every earlier one's callback. */
interface PendingAck {
  settled: boolean;
  err: Error | null;
  callback: (err: Error | null) => void;
}

export interface BrokerCounters {
  /** Labels: reason = unknown_device | bad_secret | client_id_mismatch | no_credentials | login_backoff | cert_mismatch */
  authFailures: Counter;
  /** Labels: action = publish | subscribe */
  aclDenied: Counter;
  /**
   * Labels: reason = packet_too_large | topic_too_long | connection_rate | malformed | bad_utf8 |
   * packet_id_zero | protocol_level | protocol_order | bad_qos | bad_topic | too_many_levels |
   * bad_subscribe | bad_will_qos | password_without_username | ws_origin | ws_text_frame | tls
   */
  protocolErrors: Counter;
  /** A second connection with a client id already connected took the session over. */
  takeovers: Counter;
  /** Labels: source = publish | will. A device's retain flag was ignored (no device channel retains). */
  retainIgnored: Counter;
}

export interface BrokerLimits {
  /** Largest MQTT packet accepted, in bytes; larger ones close the connection. */
  maxPacketBytes: number;
  /**
   * The same for a logged-in device of kind camera, whose vision messages carry their picture
   * (base64 in JSON, or a Frigate snapshot's JPEG bytes): room for an evidence picture.
   */
  maxCameraPacketBytes: number;
  maxTopicLength: number;
  /** Largest payload kept past ingest: a larger one is refused by ingest and never stored or forwarded by the broker. */
  maxPayloadBytes: number;
  /** New connections per remote address per second (0 = unlimited). */
  connectionsPerSecond: number;
  /** Failed logins per address before exponential backoff starts. */
  freeLoginFailures: number;
  maxLoginBackoffMs: number;
}

export const defaultBrokerLimits: BrokerLimits = {
  maxPacketBytes: 256 * 1024,
  maxCameraPacketBytes: 3 * 1024 * 1024,
  maxTopicLength: 256,
  maxPayloadBytes: 64 * 1024,
  connectionsPerSecond: 50,
  freeLoginFailures: 5,
  maxLoginBackoffMs: 5 * 60_000,
};

export interface BrokerOptions {
  registry: () => Registry;
  /**
   * Accounts of people and other systems (username = user name, password = API token).
   * They publish nothing; with the supervisor role they may subscribe to supervision/#.
   */
  authenticateAccount?: (username: string, password: string) => Principal | undefined;
  /** Whether an account of this name exists: an account's extra client ids must not be another's name. */
  accountExists?: (name: string) => boolean;
  logger: Logger;
  counters: BrokerCounters;
  limits?: Partial<BrokerLimits>;
  /**
   * Failed-login counts shared with the gateway's other device logins (HTTP push, HJ 212), so
   * a guesser alternating protocols gains no attempts: per identity at an address, and per
   * address (ADDRESS_FAILURE_FACTOR times the room). Default: the broker's own.
   */
  backoff?: { identity: ReturnType<typeof createLoginBackoff>; address: ReturnType<typeof createLoginBackoff> };
  /**
   * Mutual TLS is on: a device must connect over the TLS listener with a client certificate
   * (its CN the device id). Logins over plain TCP or WebSocket are refused, so the secret
   * alone never suffices.
   */
  requireClientCert?: boolean;
  /**
   * Origins whose browser pages may open MQTT over WebSocket, besides the gateway's own origin
   * and clients that send no Origin (devices); `*` allows any. Default: none besides those.
   */
  webSocketOrigins?: readonly string[];
  /**
   * Where persistent sessions (clean session = 0) are kept: the state database, so they survive
   * a restart. Without it they live in memory (tests of the broker alone).
   */
  sessions?: SessionStore;
  /** Persistent sessions one account may keep (client ids `name` and `name.*`); a new one beyond it ends the least recently connected. */
  maxAccountSessions?: number;
  /**
   * Called for every publish a device is allowed to make, before the broker acknowledges it
   * (QoS 1 PUBACK goes out only after this resolves). Must not throw for bad payloads.
   */
  onPublish: (device: RegisteredDevice, topic: string, payload: Buffer, qos: number) => void | Promise<unknown>;
  onConnection: (device: RegisteredDevice, online: boolean) => void;
}

export interface TlsListenerOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** When set, clients must present a certificate signed by it (mutual TLS), and its CN must be the username. */
  ca?: string | Buffer;
}

export interface Broker {
  listen(port: number, host: string): Promise<AddressInfo>;
  listenTls(port: number, host: string, tls: TlsListenerOptions): Promise<AddressInfo>;
  /** MQTT over WebSocket on an existing HTTP(S) server, at `path`. */
  attachWebSocket(server: HttpServer, path?: string): void;
  /** Publishes from the gateway itself (event fan-out); bypasses device ACLs. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1): Promise<void>;
  connectedDevices(): number;
  /** Closes the session of a client id (a device removed from the registry). */
  kick(clientId: string): boolean;
  /** Closes every connection of an account (the user was disabled); returns how many. */
  kickAccount(user: string): number;
  close(): Promise<void>;
  aedes: Aedes;
}

function authError(message: string, code: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function remoteAddress(client: Client): string {
  const conn = client.conn as Partial<Socket>;
  return client.req?.socket?.remoteAddress ?? conn.remoteAddress ?? 'unknown';
}

const EMPTY = Buffer.alloc(0);
// An address may fail this many times more than one identity at it before it must wait.
export const ADDRESS_FAILURE_FACTOR = 10;

interface Will {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export function createBroker(opts: BrokerOptions): Broker {
  const { logger, counters } = opts;
  // mqtt-packet (aedes' writer) otherwise builds a 2-byte Buffer for each of the 65,536 packet
  // ids and lengths on the first packet it writes, ~7 MiB of heap kept for the process's life;
  // building the two bytes per packet instead costs ~20-40 ns a PUBACK (issue 18).
  writeToStream.cacheNumbers = false;
  const limits = { ...defaultBrokerLimits, ...opts.limits };
  const devices = new WeakMap<Client, RegisteredDevice>();
  const accounts = new WeakMap<Client, Principal>();
  const connected = new Map<string, Client>();
  const servers: Server[] = [];
  const rate = createConnectionRateLimit(limits.connectionsPerSecond);
  const backoff = opts.backoff?.identity ?? createLoginBackoff(limits.freeLoginFailures, limits.maxLoginBackoffMs);
  const addressBackoff = opts.backoff?.address ?? createLoginBackoff(limits.freeLoginFailures * ADDRESS_FAILURE_FACTOR, limits.maxLoginBackoffMs);
  let wss: WebSocketServer | undefined;

  /**
   * The will of a connecting client, checked before it is stored: a will is published when the
   * connection drops, so the same rules as a publish apply (no wildcards, the payload limit, no
   * retain). Accounts publish nothing, so their will is dropped. Returns why it is refused.
   */
  function checkWill(client: Client): string | undefined {
    const c = client as Client & { _will?: Will | null };
    const will = c._will;
    if (!will) return undefined;
    if (/[+#\u0000]/.test(will.topic)) return 'a will topic must not contain +, # or NUL';
    if (will.topic.length > limits.maxTopicLength) return `will topic longer than ${limits.maxTopicLength} characters`;
    if (will.payload.length > limits.maxPayloadBytes) return `will payload over ${limits.maxPayloadBytes} bytes`;
    if (will.retain) {
      will.retain = false;
      counters.retainIgnored.inc({ source: 'will' });
    }
    return undefined;
  }

  /**
   * Acknowledged publishes of a connection still waiting for their callback, oldest first:
   * acknowledgements go out in arrival order (MQTT-4.6.0-2). A queue rather than a promise chain,
   * because this runs for every QoS 1 message: one promise reaction each, nothing more.
   */
  const ackQueues = new WeakMap<Client, PendingAck[]>();
  /** Connections that sent a zero-length client id with clean session 0. */
  const noIdentifier = new WeakSet<Client>();
  /** QoS 2 packet ids a connection's publishes were ingested under, until their PUBREL. */
  const qos2Ingested = new WeakMap<Client, Set<number>>();

  /**
   * Calls `callback` once `result` settled and every earlier acknowledged publish of the same
   * connection was called back: one slow durable write holds back only its own connection.
   */
  function inOrder(client: Client, result: PromiseLike<unknown> | void, callback: (err: Error | null) => void): void {
    let queue = ackQueues.get(client);
    if (!result) {
      if (!queue || queue.length === 0) return callback(null);
      queue.push({ settled: true, err: null, callback });
      return;
    }
    if (!queue) ackQueues.set(client, (queue = []));
    const pending: PendingAck = { settled: false, err: null, callback };
    queue.push(pending);
    const q = queue;
    result.then(
      () => settle(q, pending, null),
      (err: unknown) => (logger.error({ err }, 'ingest failed'), settle(q, pending, err as Error)),
    );
  }

  function settle(queue: PendingAck[], pending: PendingAck, err: Error | null): void {
    pending.settled = true;
    pending.err = err;
    while (queue.length > 0 && queue[0]!.settled) {
      const head = queue.shift()!;
      head.callback(head.err);
    }
  }

  /**
   * Whether this QoS 2 publish repeats one already ingested and not yet released: aedes
   * authorises every copy before its own duplicate check, so rule input would see each copy.
   * A DUP after a reconnect is looked up in the session store (incoming packets await PUBREL there).
   */
  function qos2Repeat(client: Client, packet: PublishPacket): Promise<boolean> | boolean {
    let ids = qos2Ingested.get(client);
    if (!ids) {
      qos2Ingested.set(client, (ids = new Set()));
      releaseOnPubrel(client, ids);
    }
    if (ids.has(packet.messageId!)) return true;
    ids.add(packet.messageId!);
    if (!packet.dup) return false;
    const store = (aedes as Aedes & { persistence: { incomingGetPacket(c: Client, p: PublishPacket): Promise<unknown> } }).persistence;
    return store.incomingGetPacket(client, packet).then(
      (found) => Boolean(found),
      () => false,
    );
  }

  /** Hands an allowed publish to ingest; what ingest throws is logged, never the broker's problem. */
  function ingest(device: RegisteredDevice, packet: PublishPacket): void | Promise<unknown> {
    try {
      return opts.onPublish(device, packet.topic, packet.payload as Buffer, packet.qos);
    } catch (err) {
      logger.error({ err, device: device.device }, 'ingest failed');
    }
  }

  /**
   * A PUBREL releases its packet id: a later QoS 2 publish under it is a new message. Listened
   * for only on connections that used QoS 2: a second 'packet' listener costs every packet a copy
   * of the listener list.
   */
  function releaseOnPubrel(client: Client, ids: Set<number>): void {
    (client as Client & { _parser: { on(e: 'packet', f: (p: { cmd: string; messageId?: number }) => void): void } })._parser.on('packet', (p) => {
      if (p.cmd === 'pubrel' && p.messageId !== undefined) ids.delete(p.messageId);
    });
  }

  /**
   * An account may keep `maxAccountSessions` persistent sessions: each holds an offline queue,
   * and client ids `name.<anything>` are free to choose. Connecting one more ends the least
   * recently connected stored session of the account (not a connected one).
   */
  async function limitAccountSessions(name: string, clientId: string): Promise<void> {
    const store = opts.sessions!;
    const stored = store.sessionsOf(name).filter((id) => id !== clientId);
    // This connection takes one place; connected sessions are never ended here.
    let excess = stored.length - ((opts.maxAccountSessions ?? 4) - 1);
    for (const id of stored) {
      if (excess <= 0) break;
      if (connected.has(id)) continue;
      await store.forgetSession(id);
      excess--;
      logger.info({ account: name, clientId: id }, 'stored MQTT session ended: the account is over its number of persistent sessions');
    }
  }

  /** Forgets a connection's will: an account's (accounts publish nothing) or a taken-over connection's. */
  function dropWill(client: Client): void {
    const c = client as Client & { _will?: Will | null; will?: Will | null };
    c._will = null;
    c.will = null;
  }

  const aedes = new Aedes({
    ...(opts.sessions ? { persistence: opts.sessions } : {}),
    // A subscriber that stops reading must not stall delivery to everyone else.
    drainTimeout: 30_000,
    connectTimeout: 10_000,
    maxClientsIdLength: 64,
    maxTopicLevels: 16,

    // Refusals MQTT 3.1.1 makes a close, not a CONNACK code; counted in the error handlers.
    preConnect(client, packet, callback) {
      // MQTT-3.1.3-8: answered CONNACK 0x02 (from authenticate, which may answer).
      if (packet.clientId === '' && !packet.clean) noIdentifier.add(client);
      if (packet.will && (packet.will.qos ?? 0) > 2) return callback(new ProtocolRefusal('bad_will_qos', 'will QoS 3 (MQTT-3.1.2-14)'), false);
      if (packet.password !== undefined && packet.username === undefined) {
        return callback(new ProtocolRefusal('password_without_username', 'a password without a user name (MQTT-3.1.2-22)'), false);
      }
      callback(null, true);
    },

    authenticate(client, username, password, done) {
      const address = remoteAddress(client);
      const fail = (reason: string, message: string, code = BAD_USERNAME_OR_PASSWORD) => {
        counters.authFailures.inc({ reason });
        logger.warn({ clientId: client.id, username, address, reason }, 'connection refused');
        done(authError(message, code), false);
      };
      // Failures count per identity at an address (one identity's success never clears
      // another's), and per address with more room (many identities guessed from one place).
      const identityKey = `${address}|${username ?? ''}`;
      const wait = Math.max(backoff.waitFor(identityKey), addressBackoff.waitFor(address));
      // Refused before any secret is checked: a guesser gets no answer and costs no scrypt.
      if (wait > 0) return fail('login_backoff', `too many failed logins; retry in ${Math.ceil(wait / 1000)} s`, NOT_AUTHORIZED);
      if (noIdentifier.has(client)) return fail('empty_client_id', 'a zero-length client id needs clean session 1', IDENTIFIER_REJECTED);
      backoff.charge(identityKey);
      addressBackoff.charge(address);
      if (!username || !password) return fail('no_credentials', 'username and password are required');
      const willProblem = checkWill(client);
      if (willProblem) return fail('bad_will', willProblem, NOT_AUTHORIZED);
      const accept = () => {
        backoff.succeeded(identityKey, true);
        addressBackoff.succeeded(address);
        const prior = connected.get(client.id);
        if (prior && prior !== client && !prior.closed) {
          // MQTT-3.1.4-2: the new connection takes the session over; count it, it may be a clone.
          counters.takeovers.inc();
          logger.warn({ clientId: client.id, address }, 'session taken over by a new connection with the same client id');
          // The device never went away: the old connection's will must not be published (and ingested) when it is closed.
          dropWill(prior);
        }
        connected.set(client.id, client);
        done(null, true);
      };
      const device = opts.registry().device(username);
      if (!device) {
        const account = opts.authenticateAccount?.(username, password.toString('utf8'));
        if (!account) return fail('unknown_device', 'unknown device');
        // Account sessions are named after the account, so they can never take over a device session.
        if (client.id !== username && !client.id.startsWith(`${username}.`)) {
          return fail('client_id_mismatch', `client id must be "${username}" or start with "${username}."`, IDENTIFIER_REJECTED);
        }
        // Device ids may contain dots: "north.gas-01" is a device, never a session of account "north";
        // nor may one account's client id be another account's name.
        if (opts.registry().device(client.id) || (client.id !== username && opts.accountExists?.(client.id))) {
          return fail('client_id_mismatch', `client id "${client.id}" belongs to a device or another account`, IDENTIFIER_REJECTED);
        }
        accounts.set(client, account);
        dropWill(client);
        if (!client.clean && opts.sessions) {
          return void limitAccountSessions(username, client.id).then(accept, (err: unknown) => fail('session_store', `session store failed: ${(err as Error).message}`, SERVER_UNAVAILABLE));
        }
        return accept();
      }
      verifySecret(password.toString('utf8'), device.entry).then(
        (ok) => {
          if (!ok) return fail('bad_secret', 'bad device secret');
          // A registry reload while the secret was checked (a rotation) decides: the session would
          // otherwise open with the old secret after the reload ended the device's sessions.
          const now = opts.registry().device(device.device);
          if (now?.entry.secret !== device.entry.secret || now?.entry.secretHash !== device.entry.secretHash || now?.site !== device.site) {
            return fail('bad_secret', 'the device secret changed during the login');
          }
          // The client id names the MQTT session; letting a device use another's id would let it take that session over.
          if (client.id !== device.device) {
            return fail('client_id_mismatch', `client id must be the device id "${device.device}"`, IDENTIFIER_REJECTED);
          }
          // Mutual TLS: the certificate's CN is the device id, and must be the username too.
          const tls = client.conn as Partial<TLSSocket>;
          const certified = typeof tls.getPeerCertificate === 'function' && tls.authorized === true;
          if (certified) {
            const cn = tls.getPeerCertificate!().subject?.CN;
            if (cn !== device.device) return fail('cert_mismatch', `certificate CN "${cn}" is not the device id`, NOT_AUTHORIZED);
          } else if (opts.requireClientCert) {
            return fail('cert_required', 'devices must connect over TLS with a client certificate', NOT_AUTHORIZED);
          }
          devices.set(client, device);
          accept();
        },
        (err) => fail('bad_secret', `secret check failed: ${(err as Error).message}`),
      );
    },

    authorizePublish(client, packet, callback) {
      const device = client ? devices.get(client) : undefined;
      if (!device) {
        if (client) counters.aclDenied.inc({ action: 'publish' });
        return callback(new Error('only devices may publish'));
      }
      if (packet.topic.length > limits.maxTopicLength) {
        counters.protocolErrors.inc({ reason: 'topic_too_long' });
        return callback(new Error(`topic longer than ${limits.maxTopicLength} characters`));
      }
      const prefix = prefixOf(device);
      // No device channel is retained: retained messages live until restart, so every device could
      // fill the broker's memory with them. The message is handled as if sent without the flag.
      if (packet.retain) {
        packet.retain = false;
        counters.retainIgnored.inc({ source: 'publish' });
      }
      if (!packet.topic.startsWith(prefix)) {
        counters.aclDenied.inc({ action: 'publish' });
        logger.warn({ device: device.device, topic: packet.topic.slice(0, 200) }, 'publish outside the device topic refused');
        // MQTT-3.3.5-2: an unauthorised PUBLISH is answered by closing the connection.
        return callback(new Error(`device ${device.device} may publish only under ${prefix}`));
      }
      let result: void | Promise<unknown>;
      if (packet.qos === 2) {
        const repeat = qos2Repeat(client!, packet);
        if (repeat === true) result = undefined;
        else if (repeat === false) result = ingest(device, packet);
        else result = repeat.then((seen) => (seen ? undefined : ingest(device, packet)));
      } else {
        result = ingest(device, packet);
      }
      // The PUBACK (QoS 1) is written only after this callback: here, once the data is durable.
      // Over the payload limit, ingest has refused it (and counted why); the broker must not keep
      // it either: a QoS 2 packet waits in memory until PUBREL, and nothing is forwarded.
      if (packet.payload.length > limits.maxPayloadBytes) packet.payload = EMPTY;
      if (packet.qos === 0) {
        if (result) result.catch((err: unknown) => logger.error({ err }, 'ingest failed'));
        return callback(null);
      }
      inOrder(client!, result, callback);
    },

    authorizeSubscribe(client, sub, callback) {
      // A stored session without subscriptions, restored only so CONNACK says Session Present.
      if (isSessionOnly(sub)) return callback(null, null);
      const account = accounts.get(client);
      if (account && roleAtLeast(account.role, 'supervisor') && (sub.topic === 'supervision/#' || sub.topic.startsWith('supervision/'))) {
        return callback(null, sub);
      }
      const device = devices.get(client);
      const own = device ? commandsTopic(device.site, device.device) : undefined;
      if (own && (sub.topic === `${own}/#` || sub.topic === own || sub.topic.startsWith(`${own}/`))) {
        return callback(null, sub);
      }
      counters.aclDenied.inc({ action: 'subscribe' });
      logger.warn({ clientId: client.id, topic: sub.topic.slice(0, 200) }, 'subscription refused');
      // A null subscription is a SUBACK failure (0x80) and keeps the connection (MQTT-3.9.3).
      callback(null, null);
    },
  });

  aedes.on('clientReady', (client) => {
    const device = devices.get(client);
    if (device) opts.onConnection(device, true);
  });
  aedes.on('clientDisconnect', (client) => {
    if (connected.get(client.id) === client) connected.delete(client.id);
    const device = devices.get(client);
    // A taken-over session's old connection going away does not make the device offline.
    if (device && !connected.has(client.id)) opts.onConnection(device, false);
  });
  /** Every refusal of a peer's packets is counted under its reason (SECURITY.md promises it). */
  function countRefusal(client: Client | null, err: Error): void {
    const parser = (client as (Client & { _parser?: { error: Error | null } }) | null)?._parser;
    const reason = refusalReason(err, parser?.error === err);
    if (reason) counters.protocolErrors.inc({ reason });
    logger.debug({ clientId: client?.id, err, reason }, 'connection closed on an error');
  }
  aedes.on('clientError', countRefusal);
  aedes.on('connectionError', countRefusal);
  aedes.on('clientDisconnect', (client) => qos2Ingested.delete(client));

  function handle(stream: Duplex, address: string, req?: IncomingMessage) {
    if (!rate.allow(address)) {
      counters.protocolErrors.inc({ reason: 'connection_rate' });
      refuseBusy(stream);
      return;
    }
    const client = aedes.handle(stream as Parameters<Aedes['handle']>[0], req);
    // Until CONNECT is authenticated every client gets the common limit; a camera then gets its own.
    // Asked for every packet: once the device is known (set once, at its login) the answer is kept.
    let known: number | undefined;
    const limitOf = () => {
      if (known !== undefined) return known;
      const device = devices.get(client);
      if (device === undefined) return limits.maxPacketBytes;
      return (known = device.entry.kind === 'camera' ? Math.max(limits.maxCameraPacketBytes, limits.maxPacketBytes) : limits.maxPacketBytes);
    };
    limitPacketSize(client, limitOf, (length) => {
      logger.warn({ clientId: client.id, address, length, limit: limitOf() }, 'packet over the size limit; connection closed');
    });
    guardParser(client, { write: (bytes, written) => void stream.write(bytes, () => written()) });
  }

  async function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    servers.push(server);
    return server.address() as AddressInfo;
  }

  let ready: Promise<void> | undefined;
  const started = () => (ready ??= aedes.listen());

  return {
    aedes,
    async listen(port, host) {
      await started();
      const server = createServer((socket) => {
        socket.setNoDelay(true);
        handle(socket, socket.remoteAddress ?? 'unknown');
      });
      return listenOn(server, port, host);
    },
    async listenTls(port, host, tls) {
      await started();
      const server = createTlsServer(
        { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}) },
        (socket) => {
          socket.setNoDelay(true);
          handle(socket, socket.remoteAddress ?? 'unknown');
        },
      );
      server.on('tlsClientError', (err) => {
        counters.protocolErrors.inc({ reason: 'tls' });
        logger.debug({ err }, 'TLS handshake failed');
      });
      return listenOn(server, port, host);
    },
    attachWebSocket(server, path = '/mqtt') {
      void started();
      wss = attachMqttWebSocket(server, {
        path,
        allowedOrigins: opts.webSocketOrigins ?? [],
        maxPayload: Math.max(limits.maxPacketBytes, limits.maxCameraPacketBytes) + 16,
        refused: (reason, detail) => {
          counters.protocolErrors.inc({ reason });
          logger.warn({ ...detail, reason }, 'MQTT over WebSocket refused');
        },
        handle,
      });
    },
    publish(topic, payload, qos) {
      const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false } as PublishPacket;
      return new Promise((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())));
    },
    connectedDevices: () => aedes.connectedClients,
    kickAccount(user) {
      let n = 0;
      for (const c of connected.values()) {
        if (accounts.get(c)?.user !== user || c.closed) continue;
        c.close();
        n++;
      }
      return n;
    },
    kick(clientId) {
      const c = connected.get(clientId);
      if (!c || c.closed) return false;
      c.close();
      return true;
    },
    async close() {
      // Stop accepting first, then let aedes close the open connections so the servers can finish.
      const stopped = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const c of wss?.clients ?? []) c.terminate();
      wss?.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all(stopped);
    },
  };
}
