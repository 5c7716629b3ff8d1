// Load generator of the bench, in a process of its own so its CPU is never counted against the
// broker under test. Driven over IPC by the bench (test/bench/proc.ts spawnTs):
//   connect     open MQTT connections (one per device, TCP_NODELAY, keepalive as asked)
//   publish     QoS 1 telemetry from every connection: closed loop (a fixed in-flight window per
//               connection, as fast as PUBACKs come back) or paced (a target rate), bounded in
//               time and count; replies with what was sent and acknowledged
//   stop        ends a publish early
//   subscribe   one subscriber connection counting what it receives (the bare-aedes baseline)
//   count       how many messages the subscriber has received
//   disconnect  closes every connection
// Only 127.0.0.1 is ever connected to.
import { connect as tcpConnect } from 'node:net';
import { MqttClient, type IClientOptions } from 'mqtt';

export interface BenchDevice {
  id: string;
  site: string;
  secret: string;
}

export type LoadRequest =
  | { type: 'connect'; port: number; devices: BenchDevice[]; keepalive: number; concurrency: number }
  | {
      type: 'publish';
      mode: 'closed' | 'paced';
      /** Messages in flight per connection (closed loop), or the most allowed (paced). */
      window: number;
      /** Messages per second across all connections (paced). */
      rate?: number;
      durationMs: number;
      maxMessages: number;
      metric: string;
      /** Further metrics in each message (aux_01, aux_02, ...: no rule reads them), as loggers send several at once. */
      extraMetrics?: number;
      /** Values are drawn uniformly from [lo, hi): keep them below every rule's level. */
      lo: number;
      hi: number;
    }
  | { type: 'stop' }
  | { type: 'subscribe'; port: number; topic: string; qos: 0 | 1 }
  | { type: 'count' }
  | { type: 'disconnect' };

export interface PublishResult {
  type: 'published';
  sent: number;
  acked: number;
  errors: number;
  /** From the first publish to the last PUBACK. */
  elapsedMs: number;
  /** Paced mode: publishes skipped because a connection's window was full (the broker fell behind). */
  behind: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
}

const HOST = '127.0.0.1';
const send = (m: Record<string, unknown>) => process.send?.(m);

function mqttClient(port: number, opts: IClientOptions): MqttClient {
  // mqtt.js leaves Nagle on; 10-25 ms of tail latency otherwise (PERFORMANCE.md).
  return new MqttClient(() => {
    const s = tcpConnect({ host: HOST, port });
    s.setNoDelay(true);
    return s;
  }, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 30_000, clean: true, ...opts });
}

interface Conn {
  client: MqttClient;
  topic: string;
  lastTs: number;
  inflight: number;
  /** Closed loop: PUBACKs received whose replacement publish is not sent yet. */
  refill: number;
}

let conns: Conn[] = [];
let subscriber: { client: MqttClient; received: number; lastAt: number } | undefined;
let stopRequested = false;

function open(port: number, d: BenchDevice, keepalive: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const client = mqttClient(port, { clientId: d.id, username: d.id, password: d.secret, keepalive });
    const fail = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.off('error', fail);
      client.on('error', () => undefined);
      resolve({ client, topic: `sites/${d.site}/devices/${d.id}/telemetry`, lastTs: 0, inflight: 0, refill: 0 });
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error(`connection of ${d.id} closed before CONNACK`)));
  });
}

async function connectAll(req: Extract<LoadRequest, { type: 'connect' }>) {
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const opened: Conn[] = [];
  const worker = async () => {
    while (next < req.devices.length) {
      const d = req.devices[next++]!;
      try {
        opened.push(await open(req.port, d, req.keepalive));
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(req.concurrency, req.devices.length) }, worker));
  conns.push(...opened);
  send({ type: 'connected', connected: opened.length, failed, firstError, ms: performance.now() - t0 });
}

function payload(c: Conn, metric: string, lo: number, hi: number, extra = 0): string {
  // One point per device and millisecond in InfluxDB: timestamps must not repeat per device.
  const ts = Math.max(Date.now(), c.lastTs + 1);
  c.lastTs = ts;
  const value = () => Math.round((lo + Math.random() * (hi - lo)) * 10) / 10;
  let metrics = `"${metric}":${value()}`;
  for (let i = 1; i <= extra; i++) metrics += `,"aux_${String(i).padStart(2, '0')}":${value()}`;
  return `{"ts":${ts},"metrics":{${metrics}}}`;
}

function publish(req: Extract<LoadRequest, { type: 'publish' }>): Promise<PublishResult> {
  stopRequested = false;
  const lat: number[] = [];
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let behind = 0;
  let lastAck = 0;
  const t0 = performance.now();
  const deadline = t0 + req.durationMs;
  const canSend = () => !stopRequested && sent < req.maxMessages && performance.now() < deadline;

  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished || sent !== acked + errors || canSend()) return;
      finished = true;
      clearInterval(ticker);
      lat.sort((a, b) => a - b);
      const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)]! : NaN);
      resolve({ type: 'published', sent, acked, errors, elapsedMs: (lastAck || performance.now()) - t0, behind, ackP50Ms: pct(50), ackP99Ms: pct(99), ackMaxMs: lat.at(-1) ?? NaN });
    };
    const one = (c: Conn) => {
      sent++;
      c.inflight++;
      const at = performance.now();
      c.client.publish(c.topic, payload(c, req.metric, req.lo, req.hi, req.extraMetrics), { qos: 1 }, (err) => {
        c.inflight--;
        if (err) errors++;
        else {
          acked++;
          lastAck = performance.now();
          // Every 16th latency is kept: enough for percentiles, bounded memory.
          if ((acked & 15) === 0) lat.push(lastAck - at);
        }
        if (req.mode === 'closed' && canSend()) {
          // Refilled on the next turn, all connections at once: publishes made in one turn leave in
          // one write per socket (mqtt-packet corks the stream until the next tick), where a publish
          // per PUBACK costs a writev syscall each and held the generator below 14,000/s.
          c.refill++;
          refillSoon();
        } else finish();
      });
    };
    let refillScheduled = false;
    const refillSoon = () => {
      if (refillScheduled) return;
      refillScheduled = true;
      setImmediate(() => {
        refillScheduled = false;
        for (const c of conns) {
          for (; c.refill > 0 && canSend(); c.refill--) one(c);
          c.refill = 0;
        }
        finish();
      });
    };
    let ticker: NodeJS.Timeout;
    if (req.mode === 'closed') {
      for (const c of conns) for (let i = 0; i < req.window && canSend(); i++) one(c);
      // Checks the time limit even when no PUBACK comes back at all.
      ticker = setInterval(finish, 100);
    } else {
      const rate = req.rate ?? 1000;
      let rr = 0;
      ticker = setInterval(() => {
        if (!canSend()) return finish();
        const due = Math.min(req.maxMessages, Math.floor(((performance.now() - t0) * rate) / 1000));
        // Round robin over the connections; one whose window is full is skipped and counted.
        while (sent + behind < due) {
          const c = conns[rr++ % conns.length]!;
          if (c.inflight >= req.window) behind++;
          else one(c);
        }
      }, 2);
    }
  });
}

function subscribe(req: Extract<LoadRequest, { type: 'subscribe' }>) {
  const client = mqttClient(req.port, { clientId: `bench-sub-${process.pid}`, keepalive: 60 });
  subscriber = { client, received: 0, lastAt: 0 };
  const s = subscriber;
  client.on('message', () => {
    s.received++;
    s.lastAt = performance.now();
  });
  client.once('connect', () => {
    client.subscribe(req.topic, { qos: req.qos }, (err) => (err ? send({ type: 'error', error: err.message }) : send({ type: 'subscribed' })));
  });
  client.once('error', (err) => send({ type: 'error', error: err.message }));
}

async function disconnect() {
  const all = [...conns.map((c) => c.client), ...(subscriber ? [subscriber.client] : [])];
  conns = [];
  subscriber = undefined;
  // Bounded: a broker that does not answer the DISCONNECT is not waited for.
  await Promise.race([Promise.all(all.map((c) => c.endAsync(true).catch(() => undefined))), new Promise((r) => setTimeout(r, 10_000))]);
  send({ type: 'disconnected' });
}

process.on('message', (m: LoadRequest) => {
  const run = async () => {
    switch (m.type) {
      case 'connect':
        return connectAll(m);
      case 'publish':
        return send({ ...(await publish(m)) });
      case 'stop':
        stopRequested = true;
        return;
      case 'subscribe':
        return subscribe(m);
      case 'count':
        return send({ type: 'count', received: subscriber?.received ?? 0 });
      case 'disconnect':
        return disconnect();
    }
  };
  run().catch((err) => send({ type: 'error', error: (err as Error).stack ?? String(err) }));
});
// Never outlive the bench.
process.on('disconnect', () => process.exit(0));
// An orderly exit (so that --cpu-prof, when given, writes its profile).
process.once('SIGTERM', () => process.exit(0));
send({ type: 'ready' });
