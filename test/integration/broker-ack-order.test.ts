// In-order acknowledgement per connection (MQTT-4.6.0-2) must not let one slow durable write
// hold back anybody else. The broker runs on real TCP; its durable write (onPublish) is held
// open by the test for one device, so "slow" is exact instead of timed.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../gateway/src/broker/index.js';
import { createLogger, createMetrics, brokerCounters } from '../../gateway/src/observability/index.js';
import { parseRegistry } from '../../gateway/src/registry/index.js';
import { testRegistry } from '../helpers/gateway.js';
import * as raw from '../helpers/mqtt-raw.js';
import { RawMqtt } from '../helpers/mqtt-raw.js';

const topic = (device: string) => `sites/hb-chem-001/devices/${device}/telemetry`;
const login = (device: string): raw.ConnectFields => ({ clientId: device, username: device, password: `${device}-secret` });

describe('acknowledgement order with a slow durable write', () => {
  let broker: Broker;
  let port: number;
  // Writes of gas-01 whose payload is "slow" wait here until the test releases them.
  const held: Array<() => void> = [];

  beforeAll(async () => {
    const registry = parseRegistry(testRegistry);
    broker = createBroker({
      registry: () => registry,
      logger: createLogger('silent'),
      counters: brokerCounters(createMetrics()),
      limits: { connectionsPerSecond: 0 },
      onPublish: (device, _topic, payload) => {
        if (device.device === 'gas-01' && payload.toString() === 'slow') return new Promise<void>((resolve) => held.push(resolve));
        return Promise.resolve();
      },
      onConnection: () => undefined,
    });
    port = ((await broker.listen(0, '127.0.0.1')) as AddressInfo).port;
  });
  afterAll(async () => {
    for (const release of held) release();
    await broker?.close();
  });

  it('acknowledges another connection while one connection waits for its write', async () => {
    const slow = await RawMqtt.login(port, login('gas-01'));
    const other = await RawMqtt.login(port, login('gas-02'));
    slow.send(raw.publish({ topic: topic('gas-01'), payload: 'slow', qos: 1, id: 1 }));
    await new Promise((r) => setTimeout(r, 50));
    other.send(raw.publish({ topic: topic('gas-02'), payload: 'fast', qos: 1, id: 7 }));
    expect(await other.next()).toMatchObject({ cmd: 'puback', messageId: 7 });
    expect(slow.packets.slice(1)).toEqual([]);
    held.shift()!();
    expect(await slow.next()).toMatchObject({ cmd: 'puback', messageId: 1 });
    slow.end();
    other.end();
  });

  it('holds a later PUBACK of the same connection until the slow earlier write is done', async () => {
    const c = await RawMqtt.login(port, login('gas-01'));
    c.send(raw.publish({ topic: topic('gas-01'), payload: 'slow', qos: 1, id: 1 }), raw.publish({ topic: topic('gas-01'), payload: 'fast', qos: 1, id: 2 }));
    await new Promise((r) => setTimeout(r, 200));
    // The fast write is done by now, but its PUBACK may not pass the slow one.
    expect(c.packets.slice(1)).toEqual([]);
    held.shift()!();
    expect([(await c.next()) as { messageId: number }, (await c.next()) as { messageId: number }].map((p) => p.messageId)).toEqual([1, 2]);
    c.end();
  });
});
