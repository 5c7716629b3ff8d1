// The gateway's own promises on top of the aedes persistence interface: bounded queues, and
// everything of a persistent session read back from the state database after a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore, type SessionLimits } from '../../../gateway/src/broker/index.js';
import { openStateDb, type StateDb } from '../../../gateway/src/storage/index.js';

const dirs: string[] = [];
const dbs: StateDb[] = [];
function db(dir = mkdtempSync(join(tmpdir(), 'gw-sessions-unit-'))): { db: StateDb; dir: string } {
  dirs.push(dir);
  const d = openStateDb(dir);
  dbs.push(d);
  return { db: d, dir };
}
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const broker = { id: 'broker-1' };
const message = (n: number, bytes = 10) => ({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes, n), qos: 1 as const, retain: false, dup: false, brokerId: 'broker-1', brokerCounter: n });
async function streamed(store: SessionStore, id: string): Promise<Array<{ payload: Buffer; messageId?: number; dup: boolean; cmd: string }>> {
  const out = [];
  for await (const p of store.outgoingStream({ id }) as Readable) out.push(p);
  return out;
}

async function opened(d: StateDb, limits: Partial<SessionLimits> = {}, drops: string[] = []): Promise<SessionStore> {
  const store = new SessionStore(d, { limits, onDrop: (_id, reason) => drops.push(reason) });
  await store.setup(broker);
  return store;
}

describe('SessionStore', () => {
  it('drops the oldest queued messages past maxMessages, and says why', async () => {
    const drops: string[] = [];
    const store = await opened(db().db, { maxMessages: 2 }, drops);
    await store.addSubscriptions({ id: 'c' }, [{ topic: 't', qos: 1 }]);
    for (const n of [1, 2, 3, 4]) await store.outgoingEnqueueCombi([{ clientId: 'c' }], message(n));
    expect((await streamed(store, 'c')).map((p) => p.payload[0])).toEqual([3, 4]);
    expect(drops).toEqual(['messages', 'messages']);
  });

  it('drops the oldest queued messages past maxBytes (topic and payload), keeping at least the newest', async () => {
    const drops: string[] = [];
    const store = await opened(db().db, { maxBytes: 25 }, drops);
    await store.addSubscriptions({ id: 'c' }, [{ topic: 't', qos: 1 }]);
    for (const n of [1, 2, 3]) await store.outgoingEnqueueCombi([{ clientId: 'c' }], message(n, 10));
    // 11 bytes each: two fit in 25.
    expect((await streamed(store, 'c')).map((p) => p.payload[0])).toEqual([2, 3]);
    expect(store.queued('c')).toEqual({ messages: 2, bytes: 22 });
    await store.outgoingEnqueueCombi([{ clientId: 'c' }], message(9, 100));
    expect((await streamed(store, 'c')).map((p) => p.payload[0])).toEqual([9]);
    expect(drops).toEqual(['bytes', 'bytes', 'bytes']);
  });

  it('reads back subscriptions, the queue in order, in-flight ids (with DUP), PUBRELs and inbound QoS 2 after reopening the database', async () => {
    const first = db();
    const store = await opened(first.db);
    await store.addSubscriptions({ id: 'c' }, [{ topic: 'a/#', qos: 1 }, { topic: 'b', qos: 0 }]);
    for (const n of [1, 2, 3]) await store.outgoingEnqueueCombi([{ clientId: 'c' }], message(n));
    await store.outgoingUpdate({ id: 'c' }, { ...message(1), messageId: 7 });
    await store.outgoingUpdate({ id: 'c' }, { ...message(2), messageId: 8 });
    await store.outgoingUpdate({ id: 'c' }, { cmd: 'pubrel', messageId: 8 } as never);
    await store.incomingStorePacket({ id: 'c' }, { ...message(5), qos: 2, messageId: 33 });
    first.db.close();
    dbs.splice(dbs.indexOf(first.db), 1);

    const again = await opened(db(first.dir).db);
    expect((await again.subscriptionsByClient({ id: 'c' })).map((s) => [s.topic, s.qos]).sort()).toEqual([['a/#', 1], ['b', 0]]);
    expect((await again.subscriptionsByTopic('a/x')).map((s: { clientId: string }) => s.clientId)).toEqual(['c']);
    const queue = await streamed(again, 'c');
    expect(queue.map((p) => [p.cmd, p.messageId, p.dup])).toEqual([
      ['publish', 7, true],
      ['pubrel', 8, undefined],
      ['publish', undefined, false],
    ]);
    expect(queue[0]!.payload[0]).toBe(1);
    expect(((await again.incomingGetPacket({ id: 'c' }, { messageId: 33 } as never)) as { payload: Buffer }).payload[0]).toBe(5);
  });

  it('forgets a stored session, its queue and inbound messages when the client connects clean', async () => {
    const first = db();
    const store = await opened(first.db);
    await store.addSubscriptions({ id: 'c' }, [{ topic: 't', qos: 1 }]);
    await store.outgoingEnqueueCombi([{ clientId: 'c' }], message(1));
    await store.incomingStorePacket({ id: 'c' }, { ...message(5), qos: 2, messageId: 33 });
    await store.cleanSubscriptions({ id: 'c' });
    await store.cleanIncoming({ id: 'c' });
    const again = await opened(db(first.dir).db);
    expect(again.count()).toBe(0);
    expect(await streamed(again, 'c')).toEqual([]);
    await expect(again.incomingGetPacket({ id: 'c' }, { messageId: 33 } as never)).rejects.toThrow();
  });
});
