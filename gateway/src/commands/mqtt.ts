// MQTT delivery of device commands through the broker's public aedes API. The command store,
// not aedes persistence, is what keeps a command for an offline device: a command is published
// only to a connected device that has subscribed to it, and again on its next connection until
// its PUBACK comes back, so what the broker keeps or loses in a session does not decide whether
// (or when) a command arrives.
//
// Two aedes facts shape this file:
// - `authorizeForward` sees every message before it is written to a subscriber. Only the
//   gateway's own command publishes may reach a device's commands topic: not a device's publish
//   to its own commands topic (the ACL lets a device publish under its prefix), and not a copy
//   aedes kept in a persistent session (the store resends what is still queued, and drops
//   what expired).
// - For a clean session aedes keeps no copy of an outgoing QoS 1 message, so its `ack` event
//   carries no packet. A client acknowledges QoS 1 messages in the order it received them
//   (MQTT-4.6.0-2), so the ack is matched to the oldest command forwarded and not yet acknowledged.
import type { Aedes, AedesPublishPacket, Client, PublishPacket } from 'aedes';
import type { Logger } from '../observability/index.js';
import { commandTopic, type CommandEnvelope } from '../protocol/commands.js';
import type { CommandRecord } from './schema.js';

/** MQTT topic filter matching (`+` one level, `#` the rest), for the device's own subscriptions. */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export function envelopeOf(r: CommandRecord): CommandEnvelope {
  return { id: r.id, name: r.name, payload: r.payload, issuedAt: r.issuedAt, expiresAt: r.expiresAt };
}

const COMMAND_TOPIC = /^sites\/[^/]+\/devices\/[^/]+\/commands\//;

function envelopeId(payload: unknown): string | undefined {
  if (!Buffer.isBuffer(payload) && typeof payload !== 'string') return undefined;
  try {
    const id = (JSON.parse(payload.toString()) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export interface MqttDeliveryOptions {
  aedes: Aedes;
  /** Queued, unexpired commands of a device, oldest first. */
  waiting(device: string): CommandRecord[];
  /** The device acknowledged a command (PUBACK). */
  acknowledged(device: string, commandId: string): void;
  isDevice(clientId: string): boolean;
  logger: Logger;
}

interface Connection {
  /** Published on this connection (a second SUBSCRIBE does not repeat them). */
  sent: Set<string>;
  /** Published, not yet written to the device: the only command messages allowed through. */
  forwardable: Set<string>;
  /** Written at QoS 1, not yet acknowledged, in the order written. */
  inflight: string[];
}

export function createMqttDelivery(opts: MqttDeliveryOptions) {
  const { aedes, logger } = opts;
  const online = new Map<string, Client>();
  const conns = new WeakMap<Client, Connection>();

  /** The device's subscriptions and their QoS (aedes keeps them on the client; restored sessions included). */
  function subscriptions(client: Client): Array<[string, number]> {
    const subs = (client as unknown as { subscriptions?: Record<string, { qos?: number }> }).subscriptions;
    return subs ? Object.entries(subs).map(([f, s]) => [f, s?.qos ?? 0]) : [];
  }

  const previous = aedes.authorizeForward;
  aedes.authorizeForward = (client: Client, packet: AedesPublishPacket) => {
    const base = previous.call(aedes, client, packet);
    if (!base || !client || !COMMAND_TOPIC.test(packet.topic)) return base;
    const c = conns.get(client);
    const id = envelopeId(packet.payload);
    if (!c || id === undefined || !c.forwardable.delete(id)) return null;
    // A QoS 0 subscription gets no PUBACK to wait for: the command stays queued until a reply or its TTL.
    if (subscriptions(client).some(([f, qos]) => qos > 0 && filterMatches(f, packet.topic))) c.inflight.push(id);
    return base;
  };

  function connection(client: Client): Connection {
    let c = conns.get(client);
    if (!c) conns.set(client, (c = { sent: new Set(), forwardable: new Set(), inflight: [] }));
    return c;
  }

  function publish(client: Client, r: CommandRecord): boolean {
    const topic = commandTopic(r.site, r.device, r.name);
    if (!subscriptions(client).some(([f]) => filterMatches(f, topic))) return false;
    const c = connection(client);
    if (c.sent.has(r.id)) return true;
    c.sent.add(r.id);
    c.forwardable.add(r.id);
    const packet = { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(envelopeOf(r))), qos: 1, retain: false, dup: false } as PublishPacket;
    aedes.publish(packet, (err) => {
      if (!err) return;
      c.sent.delete(r.id);
      c.forwardable.delete(r.id);
      logger.error({ err, command: r.id, device: r.device }, 'command publish failed; it stays queued');
    });
    return true;
  }

  function flush(client: Client): void {
    if (online.get(client.id) !== client) return;
    for (const r of opts.waiting(client.id)) publish(client, r);
  }

  aedes.on('clientReady', (client) => {
    if (!opts.isDevice(client.id)) return;
    online.set(client.id, client);
    // A persistent session's subscriptions are restored before clientReady.
    flush(client);
  });
  aedes.on('clientDisconnect', (client) => {
    if (online.get(client.id) === client) online.delete(client.id);
  });
  aedes.on('subscribe', (subs, client) => {
    // The broker ACL lets a device subscribe only to its own commands; 128 is a refused filter.
    if (client && subs.some((s) => (s.qos as number) !== 128)) flush(client);
  });
  aedes.on('ack', (packet, client) => {
    const c = client ? conns.get(client) : undefined;
    if (!c) return;
    let id: string | undefined;
    if (packet && packet.cmd === 'publish') {
      id = envelopeId(packet.payload);
      if (id !== undefined && c.inflight.includes(id)) c.inflight.splice(c.inflight.indexOf(id), 1);
    } else if (!packet) {
      id = c.inflight.shift();
    }
    if (id === undefined) return;
    // Acknowledged: no longer queued, so never published again; the connection forgets it.
    c.sent.delete(id);
    opts.acknowledged(client.id, id);
  });

  return {
    /** Sends a command now if its device is connected and subscribed; false leaves it queued. */
    deliver(r: CommandRecord): boolean {
      const client = online.get(r.device);
      if (!client || client.closed) return false;
      return publish(client, r);
    },
  };
}

export type MqttDelivery = ReturnType<typeof createMqttDelivery>;
