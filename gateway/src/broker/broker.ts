import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { Logger } from '../observability/index.js';
import type { Registry, RegisteredDevice } from '../registry/index.js';
import { verifySecret } from '../registry/index.js';
import type { Counter } from '../observability/index.js';
import { roleAtLeast, type Principal } from '../users/index.js';

export interface BrokerCounters {
  /** Labels: reason = unknown_device | bad_secret | client_id_mismatch | no_credentials */
  authFailures: Counter;
  /** Labels: action = publish | subscribe */
  aclDenied: Counter;
}

export interface BrokerOptions {
  registry: () => Registry;
  /**
   * Accounts of people and other systems (username = user name, password = API token).
   * They publish nothing; with the supervisor role they may subscribe to supervision/#.
   */
  authenticateAccount?: (username: string, password: string) => Principal | undefined;
  logger: Logger;
  counters: BrokerCounters;
  /**
   * Called for every publish a device is allowed to make, before the broker acknowledges it
   * (QoS 1 PUBACK goes out only after this resolves). Must not throw for bad payloads.
   */
  onPublish: (device: RegisteredDevice, topic: string, payload: Buffer, qos: number) => void | Promise<void>;
  onConnection: (device: RegisteredDevice, online: boolean) => void;
  maxPacketBytes?: number;
}

export interface Broker {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Publishes from the gateway itself (event fan-out); bypasses device ACLs. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1): Promise<void>;
  connectedDevices(): number;
  close(): Promise<void>;
  aedes: Aedes;
}

function authError(message: string, code: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

const BAD_USERNAME_OR_PASSWORD = 4;
const IDENTIFIER_REJECTED = 2;

export function createBroker(opts: BrokerOptions): Broker {
  const { logger, counters } = opts;
  const devices = new WeakMap<Client, RegisteredDevice>();
  const accounts = new WeakMap<Client, Principal>();
  let server: Server | undefined;

  const aedes = new Aedes({
    // A subscriber that stops reading must not stall delivery to everyone else.
    drainTimeout: 30_000,
    connectTimeout: 10_000,
    maxClientsIdLength: 64,
    maxTopicLevels: 16,

    authenticate(client, username, password, done) {
      const fail = (reason: string, message: string, code = BAD_USERNAME_OR_PASSWORD) => {
        counters.authFailures.inc({ reason });
        logger.warn({ clientId: client.id, username, reason }, 'device connection refused');
        done(authError(message, code), false);
      };
      if (!username || !password) return fail('no_credentials', 'username and password are required');
      const device = opts.registry().device(username);
      if (!device) {
        const account = opts.authenticateAccount?.(username, password.toString('utf8'));
        if (!account) return fail('unknown_device', 'unknown device');
        // Account sessions are named after the account, so they can never take over a device session.
        if (client.id !== username && !client.id.startsWith(`${username}.`)) {
          return fail('client_id_mismatch', `client id must be "${username}" or start with "${username}."`, IDENTIFIER_REJECTED);
        }
        accounts.set(client, account);
        return done(null, true);
      }
      verifySecret(password.toString('utf8'), device.entry).then(
        (ok) => {
          if (!ok) return fail('bad_secret', 'bad device secret');
          // The client id names the MQTT session; letting a device use another's id would let it take that session over.
          if (client.id !== device.device) {
            return fail('client_id_mismatch', `client id must be the device id "${device.device}"`, IDENTIFIER_REJECTED);
          }
          devices.set(client, device);
          done(null, true);
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
      const prefix = `sites/${device.site}/devices/${device.device}/`;
      if (!packet.topic.startsWith(prefix)) {
        counters.aclDenied.inc({ action: 'publish' });
        logger.warn({ device: device.device, topic: packet.topic.slice(0, 200) }, 'publish outside the device topic refused');
        // MQTT-3.3.5-2: an unauthorised PUBLISH is answered by closing the connection.
        return callback(new Error(`device ${device.device} may publish only under ${prefix}`));
      }
      let result: void | Promise<void>;
      try {
        result = opts.onPublish(device, packet.topic, packet.payload as Buffer, packet.qos);
      } catch (err) {
        logger.error({ err, device: device.device }, 'ingest failed');
        return callback(null);
      }
      // The PUBACK (QoS 1) is written only after this callback: here, once the data is durable.
      if (result) result.then(() => callback(null), (err) => (logger.error({ err }, 'ingest failed'), callback(err as Error)));
      else callback(null);
    },

    authorizeSubscribe(client, sub, callback) {
      const account = accounts.get(client);
      if (account && roleAtLeast(account.role, 'supervisor') && (sub.topic === 'supervision/#' || sub.topic.startsWith('supervision/'))) {
        return callback(null, sub);
      }
      const device = devices.get(client);
      const own = device ? `sites/${device.site}/devices/${device.device}/commands` : undefined;
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
    const device = devices.get(client);
    if (device) opts.onConnection(device, false);
  });
  aedes.on('clientError', (client, err) => {
    logger.debug({ clientId: client?.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => {
    logger.debug({ clientId: client?.id, err: err.message }, 'connection error');
  });

  return {
    aedes,
    async listen(port, host) {
      await aedes.listen();
      server = createServer((socket) => {
        socket.setNoDelay(true);
        aedes.handle(socket);
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      return server.address() as AddressInfo;
    },
    publish(topic, payload, qos) {
      const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false } as PublishPacket;
      return new Promise((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())));
    },
    connectedDevices: () => aedes.connectedClients,
    async close() {
      // Stop accepting first, then let aedes close the open connections so server.close can finish.
      const s = server;
      const stopped = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await stopped;
    },
  };
}
