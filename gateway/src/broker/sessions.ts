import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { StateDb } from '../storage/index.js';

/**
 * Persistent MQTT sessions (clean session = 0) kept in the state database, so a restart loses
 * neither a device's or account's subscriptions, nor what was in flight, nor its offline queue.
 *
 * An aedes persistence: aedes-persistence's in-memory implementation keeps serving every read
 * (its subscription trie matches topics on the hot path), and each change of a persistent
 * session is also written here, in the same call, before aedes goes on (better-sqlite3 is
 * synchronous). On start the tables are read back into memory. What is not a session's
 * (retained messages, which devices cannot set; wills, published or dropped at the restart
 * anyway) stays in memory only.
 *
 * Each session's outgoing queue (offline messages and QoS 1/2 messages in flight) is bounded in
 * messages and bytes: past either bound the oldest message is dropped and counted.
 */

const require = createRequire(import.meta.url);

interface Packet {
  cmd: string;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
}
type Sub = { topic: string; qos: number; rh?: number; rap?: number; nl?: number };
type Ref = { id: string };

/** The parts of aedes-persistence's memory implementation used here (it ships no types for this file). */
interface MemoryPersistence {
  setup(broker: unknown): Promise<void>;
  addSubscriptions(client: Ref, subs: Sub[]): Promise<void>;
  removeSubscriptions(client: Ref, topics: string[]): Promise<void>;
  subscriptionsByClient(client: Ref): Promise<Sub[]>;
  cleanSubscriptions(client: Ref): Promise<void>;
  subscriptionsByTopic(topic: string): Promise<Array<Sub & { clientId: string }>>;
  incomingGetPacket(client: Ref, packet: Pick<Packet, 'messageId'>): Promise<Packet>;
  incomingStorePacket(client: Ref, packet: Packet): Promise<void>;
  incomingDelPacket(client: Ref, packet: Packet): Promise<void>;
  cleanIncoming(client: Ref): Promise<void>;
}
const Memory = require('aedes-persistence/asyncPersistence.js') as new () => MemoryPersistence;

/**
 * Returned (alone) as the subscriptions of a stored session that has none: aedes sets Session
 * Present only when a session has subscriptions, MQTT-3.2.2-2 wants it whenever the session
 * exists. The broker's authorizeSubscribe recognises it and subscribes to nothing.
 */
export const SESSION_ONLY: unique symbol = Symbol('session without subscriptions');
export function isSessionOnly(sub: unknown): boolean {
  return typeof sub === 'object' && sub !== null && (sub as { [SESSION_ONLY]?: true })[SESSION_ONLY] === true;
}

export interface SessionLimits {
  /** Messages one session's outgoing queue may hold. */
  maxMessages: number;
  /** Topic and payload bytes one session's outgoing queue may hold. */
  maxBytes: number;
}

export const defaultSessionLimits: SessionLimits = { maxMessages: 1000, maxBytes: 1024 * 1024 };

export interface SessionStoreOptions {
  limits?: Partial<SessionLimits>;
  /** The oldest queued message of a session was dropped to stay within the limits. */
  onDrop?: (clientId: string, reason: 'messages' | 'bytes') => void;
  clock?: () => number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS mqtt_sessions (client_id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS mqtt_subscriptions (
    client_id TEXT NOT NULL, topic TEXT NOT NULL, qos INTEGER NOT NULL, PRIMARY KEY (client_id, topic));
  -- Outgoing queue: offline messages and QoS 1/2 in flight (message_id set once sent), in order.
  CREATE TABLE IF NOT EXISTS mqtt_outgoing (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, cmd TEXT NOT NULL, topic TEXT NOT NULL,
    payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL, message_id INTEGER,
    broker_id TEXT, broker_counter INTEGER);
  CREATE INDEX IF NOT EXISTS mqtt_outgoing_client ON mqtt_outgoing (client_id, seq);
  -- Inbound QoS 2 messages between PUBLISH and PUBREL.
  CREATE TABLE IF NOT EXISTS mqtt_incoming (
    client_id TEXT NOT NULL, message_id INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
    qos INTEGER NOT NULL, PRIMARY KEY (client_id, message_id));
`;

interface Queued {
  seq: number;
  packet: Packet;
  bytes: number;
}

interface Queue {
  items: Queued[];
  bytes: number;
}

const size = (p: Packet) => Buffer.byteLength(p.topic ?? '') + (p.payload?.length ?? 0);

/** The queued form of a packet, with the fields aedes-packet gives it (a PUBREL is only its id). */
function copy(p: Packet): Packet {
  if (p.cmd === 'pubrel') return { cmd: 'pubrel', messageId: p.messageId } as Packet;
  return {
    cmd: p.cmd || 'publish',
    brokerId: p.brokerId,
    brokerCounter: p.brokerCounter,
    topic: p.topic,
    payload: p.payload ?? Buffer.alloc(0),
    qos: p.qos || 0,
    retain: p.retain || false,
    dup: p.dup || false,
    messageId: p.messageId,
  } as Packet;
}

/** An aedes persistence whose persistent sessions live in the state database. */
export class SessionStore extends Memory {
  private readonly sessions = new Set<string>();
  private readonly outgoing = new Map<string, Queue>();
  private readonly limits: SessionLimits;
  private readonly clock: () => number;
  private readonly sql;

  constructor(
    private readonly db: StateDb,
    private readonly opts: SessionStoreOptions = {},
  ) {
    super();
    this.limits = { ...defaultSessionLimits, ...opts.limits };
    this.clock = opts.clock ?? Date.now;
    db.exec(SCHEMA);
    this.sql = {
      touch: db.prepare('INSERT INTO mqtt_sessions (client_id, seen_at) VALUES (?, ?) ON CONFLICT (client_id) DO UPDATE SET seen_at = excluded.seen_at'),
      forget: db.prepare('DELETE FROM mqtt_sessions WHERE client_id = ?'),
      addSub: db.prepare('INSERT INTO mqtt_subscriptions (client_id, topic, qos) VALUES (?, ?, ?) ON CONFLICT (client_id, topic) DO UPDATE SET qos = excluded.qos'),
      delSub: db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id = ? AND topic = ?'),
      delSubs: db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id = ?'),
      enqueue: db.prepare(
        'INSERT INTO mqtt_outgoing (client_id, cmd, topic, payload, qos, retain, message_id, broker_id, broker_counter) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      update: db.prepare('UPDATE mqtt_outgoing SET message_id = ? WHERE seq = ?'),
      toPubrel: db.prepare("UPDATE mqtt_outgoing SET cmd = 'pubrel', message_id = ?, payload = x'' WHERE seq = ?"),
      dequeue: db.prepare('DELETE FROM mqtt_outgoing WHERE seq = ?'),
      dropQueue: db.prepare('DELETE FROM mqtt_outgoing WHERE client_id = ?'),
      storeIn: db.prepare('INSERT OR REPLACE INTO mqtt_incoming (client_id, message_id, topic, payload, qos) VALUES (?, ?, ?, ?, ?)'),
      delIn: db.prepare('DELETE FROM mqtt_incoming WHERE client_id = ? AND message_id = ?'),
      cleanIn: db.prepare('DELETE FROM mqtt_incoming WHERE client_id = ?'),
    };
  }

  /** Reads the stored sessions back (aedes calls this once, from listen()). */
  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    for (const { client_id } of this.db.prepare('SELECT client_id FROM mqtt_sessions').all() as Array<{ client_id: string }>) this.sessions.add(client_id);
    const subs = new Map<string, Sub[]>();
    for (const r of this.db.prepare('SELECT client_id, topic, qos FROM mqtt_subscriptions').all() as Array<{ client_id: string; topic: string; qos: number }>) {
      subs.set(r.client_id, [...(subs.get(r.client_id) ?? []), { topic: r.topic, qos: r.qos }]);
    }
    for (const [id, list] of subs) await super.addSubscriptions({ id }, list);
    const rows = this.db.prepare('SELECT * FROM mqtt_outgoing ORDER BY seq').all() as Array<Record<string, unknown>>;
    for (const r of rows) {
      const packet = copy({
        cmd: r.cmd as string,
        topic: r.topic as string,
        payload: r.payload as Buffer,
        qos: r.qos as 0 | 1 | 2,
        retain: r.retain === 1,
        // A message sent before the restart and not acknowledged goes out again with DUP set (MQTT-4.4.0-1).
        dup: r.message_id !== null,
        ...(r.message_id !== null ? { messageId: r.message_id as number } : {}),
        ...(r.broker_id !== null ? { brokerId: r.broker_id as string, brokerCounter: r.broker_counter as number } : {}),
      });
      const bytes = packet.cmd === 'pubrel' ? 0 : size(packet);
      const q = this.queue(r.client_id as string);
      q.items.push({ seq: r.seq as number, packet, bytes });
      q.bytes += bytes;
    }
    for (const r of this.db.prepare('SELECT client_id, message_id, topic, payload, qos FROM mqtt_incoming').all() as Array<Record<string, unknown>>) {
      const packet: Packet = { cmd: 'publish', topic: r.topic as string, payload: r.payload as Buffer, qos: r.qos as 0 | 1 | 2, retain: false, dup: false, messageId: r.message_id as number };
      await super.incomingStorePacket({ id: r.client_id as string }, packet);
    }
  }

  /** How many persistent sessions are stored. */
  count(): number {
    return this.sessions.size;
  }

  /** Forgets a stored session entirely (an account over its number of sessions). */
  async forgetSession(clientId: string): Promise<void> {
    await this.cleanSubscriptions({ id: clientId });
    await this.cleanIncoming({ id: clientId });
  }

  /** Stored sessions whose client id is `name` or starts with `name.`, least recently connected first. */
  sessionsOf(name: string): string[] {
    const rows = this.db
      .prepare("SELECT client_id FROM mqtt_sessions WHERE client_id = ? OR substr(client_id, 1, ?) = ? ORDER BY seen_at, client_id")
      .all(name, name.length + 1, `${name}.`) as Array<{ client_id: string }>;
    return rows.map((r) => r.client_id);
  }

  // --- subscriptions (aedes calls these only for clean = 0 sessions) ---

  override async addSubscriptions(client: Ref, subs: Sub[]): Promise<void> {
    await super.addSubscriptions(client, subs);
    this.db.transaction(() => {
      this.touch(client.id);
      for (const s of subs) this.sql.addSub.run(client.id, s.topic, s.qos);
    })();
  }

  override async removeSubscriptions(client: Ref, topics: string[]): Promise<void> {
    await super.removeSubscriptions(client, topics);
    if (!this.sessions.has(client.id)) return;
    this.db.transaction(() => {
      for (const t of topics) this.sql.delSub.run(client.id, t);
    })();
  }

  /** Called by aedes when a clean = 0 session connects: the session exists from now on. */
  override async subscriptionsByClient(client: Ref): Promise<Sub[]> {
    const subs = await super.subscriptionsByClient(client);
    const known = this.sessions.has(client.id);
    this.touch(client.id);
    if (subs.length === 0 && known) return [{ topic: '$gateway/session', qos: 0, [SESSION_ONLY]: true } as Sub];
    return subs;
  }

  /** A clean = 1 connection ends any stored session of its client id (MQTT-3.1.2-6). */
  override async cleanSubscriptions(client: Ref): Promise<void> {
    await super.cleanSubscriptions(client);
    this.outgoing.delete(client.id);
    if (!this.sessions.delete(client.id)) return;
    this.db.transaction(() => {
      this.sql.delSubs.run(client.id);
      this.sql.dropQueue.run(client.id);
      this.sql.forget.run(client.id);
    })();
  }

  // --- outgoing queue ---

  private queue(clientId: string): Queue {
    let q = this.outgoing.get(clientId);
    if (!q) this.outgoing.set(clientId, (q = { items: [], bytes: 0 }));
    return q;
  }

  private enqueueOne(clientId: string, original: Packet): void {
    // A queued message has no packet id until it is sent (as aedes-packet does for QoS > 0).
    const packet = { ...copy(original), messageId: undefined };
    const bytes = size(packet);
    const durable = this.sessions.has(clientId);
    const seq = durable
      ? Number(
          this.sql.enqueue.run(clientId, packet.cmd, packet.topic, packet.payload, packet.qos, packet.retain ? 1 : 0, packet.messageId ?? null, packet.brokerId ?? null, packet.brokerCounter ?? null)
            .lastInsertRowid,
        )
      : -1;
    const q = this.queue(clientId);
    q.items.push({ seq, packet, bytes });
    q.bytes += bytes;
    while (q.items.length > 1 && (q.items.length > this.limits.maxMessages || q.bytes > this.limits.maxBytes)) {
      const reason = q.items.length > this.limits.maxMessages ? 'messages' : 'bytes';
      const oldest = q.items.shift()!;
      q.bytes -= oldest.bytes;
      if (oldest.seq >= 0) this.sql.dequeue.run(oldest.seq);
      this.opts.onDrop?.(clientId, reason);
    }
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void> {
    this.enqueueOne(sub.clientId, packet);
  }

  async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: Packet): Promise<void> {
    if (subs.length === 0) return;
    this.db.transaction(() => {
      for (const s of subs) this.enqueueOne(s.clientId, packet);
    })();
  }

  /** A queued message got its packet id (it is being sent), or a PUBLISH became its PUBREL. */
  async outgoingUpdate(client: Ref, packet: Packet): Promise<void> {
    const q = this.queue(client.id);
    for (let i = 0; i < q.items.length; i++) {
      const item = q.items[i]!;
      const held = item.packet;
      if (held.brokerId === packet.brokerId && packet.brokerId !== undefined) {
        if (held.brokerCounter === packet.brokerCounter) {
          held.messageId = packet.messageId;
          if (item.seq >= 0) this.sql.update.run(held.messageId ?? null, item.seq);
          return;
        }
      } else if (held.messageId === packet.messageId) {
        // A PUBREC turned this PUBLISH into a PUBREL awaiting PUBCOMP.
        item.packet = copy(packet);
        q.bytes -= item.bytes;
        item.bytes = 0;
        if (item.seq >= 0) this.sql.toPubrel.run(item.packet.messageId ?? null, item.seq);
        return;
      }
    }
    throw new Error('no such packet');
  }

  async outgoingClearMessageId(client: Ref, packet: Packet): Promise<Packet | undefined> {
    const q = this.outgoing.get(client.id);
    if (!q) return undefined;
    const i = q.items.findIndex((item) => item.packet.messageId === packet.messageId);
    if (i < 0) return undefined;
    const [item] = q.items.splice(i, 1);
    q.bytes -= item!.bytes;
    if (item!.seq >= 0) this.sql.dequeue.run(item!.seq);
    return item!.packet;
  }

  outgoingStream(client: Ref): Readable {
    return Readable.from((this.outgoing.get(client.id)?.items ?? []).map((i) => i.packet));
  }

  /** Messages and bytes waiting in one session's outgoing queue. */
  queued(clientId: string): { messages: number; bytes: number } {
    const q = this.outgoing.get(clientId);
    return { messages: q?.items.length ?? 0, bytes: q?.bytes ?? 0 };
  }

  // --- inbound QoS 2 between PUBLISH and PUBREL ---

  override async incomingStorePacket(client: Ref, packet: Packet): Promise<void> {
    await super.incomingStorePacket(client, packet);
    if (this.sessions.has(client.id)) this.sql.storeIn.run(client.id, packet.messageId, packet.topic, packet.payload, packet.qos);
  }

  override async incomingDelPacket(client: Ref, packet: Packet): Promise<void> {
    await super.incomingDelPacket(client, packet);
    if (this.sessions.has(client.id)) this.sql.delIn.run(client.id, packet.messageId);
  }

  override async cleanIncoming(client: Ref): Promise<void> {
    await super.cleanIncoming(client);
    this.sql.cleanIn.run(client.id);
  }

  private touch(clientId: string): void {
    this.sessions.add(clientId);
    this.sql.touch.run(clientId, this.clock());
  }
}
