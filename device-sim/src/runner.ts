import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { commandsFilter, topicFor } from '../../gateway/src/protocol/index.js';
import type { PublishedMessage, ResolvedOptions } from './args.js';
import { answerCommand, readCommand } from './commands.js';
import type { SimDevice, SimGenerator, SimMessage, SimSlot } from './generator.js';
import { createProgress, type Progress, type SimStats } from './progress.js';
import type { Recorder } from './record.js';

export interface SimHandle {
  /** The seed of the run (drawn at random when none was given). */
  readonly seed: string;
  stats(): SimStats;
  /** Ends the run: devices say {"online":false}, in-flight messages get up to 3 s, connections close. */
  stop(): Promise<void>;
  /** Settles when the run has ended (duration or count reached, or stop()); rejects when it failed. */
  done: Promise<void>;
}

export interface RunContext {
  opts: ResolvedOptions;
  devices: readonly SimDevice[];
  /** Builds the message sequence once the virtual start time is known. */
  makeGenerator(startTime: number): SimGenerator;
  recorder?: Recorder;
  banner: string[];
}

// Loop bounds: turns handled per timer callback, and unacknowledged publishes allowed before
// the schedule waits for the broker (back-pressure instead of unbounded client queues).
const MAX_BATCH = 5_000;
const MAX_INFLIGHT = 20_000;
const MAX_PENDING_PER_DEVICE = 1_000;
const CONNECT_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 3_000;
const END_TIMEOUT_MS = 2_000;

type ConnState = 'idle' | 'connecting' | 'connected' | 'down' | 'refused' | 'silent';

interface Conn {
  dev: SimDevice;
  client?: MqttClient;
  state: ConnState;
  /** Lost its connection and missed turns: says {"online":true} when it is back. */
  missed: boolean;
  /** Its last status message said online. */
  onAir: boolean;
  /** Messages of turns taken while reconnecting after a silent period. */
  pending: SimMessage[];
}

function isTty(out: NodeJS.WritableStream): boolean {
  return (out as { isTTY?: boolean }).isTTY === true;
}

/** Publishes the fleet's messages to a broker on the schedule of the generator. */
export function runLive(ctx: RunContext): SimHandle {
  const o = ctx.opts;
  const stats: SimStats = { sent: 0, acked: 0, errors: 0, reconnects: 0, connected: 0, rejectedConnects: 0, skipped: 0 };
  const conns: Conn[] = ctx.devices.map((dev) => ({ dev, state: 'idle', missed: false, onAir: false, pending: [] }));
  const byId = new Map(conns.map((c) => [c.dev.device, c]));
  const abort = new AbortController();
  let gen: SimGenerator | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inflight = 0;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let failure: Error | undefined;
  let virtualNow = (): number => Date.now();
  let scheduleAt = (): number => 0;
  const early: Array<() => void> = [];

  let resolveDone!: () => void;
  let rejectDone!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // done may be left unobserved by a caller that only calls stop(); that is not a crash.
  done.catch(() => undefined);

  const progress: Progress | undefined =
    o.output && !o.quiet ? createProgress({ out: o.output, tty: isTty(o.output), everyMs: o.progressEvery, stats: () => ({ ...stats }) }) : undefined;

  const publish = (conn: Conn, m: SimMessage): void => {
    const client = conn.client!;
    const body = typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload);
    const receivedAt = virtualNow();
    stats.sent++;
    inflight++;
    if (m.channel === 'status' && typeof m.payload === 'object') conn.onAir = m.payload['online'] === true;
    client.publish(m.topic, body, { qos: o.qos }, (err) => {
      inflight--;
      if (err) stats.errors++;
      else if (o.qos === 1) stats.acked++;
    });
    ctx.recorder?.write(m.topic, m.payload, receivedAt);
    o.onPublish?.({ ...m, body, receivedAt } satisfies PublishedMessage);
  };

  const connect = (conn: Conn): Promise<void> => {
    const { dev } = conn;
    const client = mqtt.connect(o.url, {
      clientId: dev.device,
      username: dev.device,
      password: dev.secret!,
      keepalive: o.keepalive,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // A turn missed while offline is skipped and counted, never queued without bound.
      queueQoSZero: false,
      will: { topic: topicFor(dev.site, dev.device, 'status'), payload: Buffer.from('{"online":false}'), qos: 1, retain: false },
    });
    conn.client = client;
    conn.state = 'connecting';
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(giveUp);
        resolve();
      };
      const giveUp = setTimeout(() => {
        if (conn.client === client && conn.state === 'connecting') conn.state = 'down';
        settle();
      }, CONNECT_TIMEOUT_MS);
      client.on('connect', () => {
        if (conn.client !== client || stopping) return settle();
        if (conn.state !== 'connected') stats.connected++;
        conn.state = 'connected';
        if (conn.missed && gen) {
          conn.missed = false;
          publish(conn, gen.status(dev.device, true, scheduleAt()));
        }
        const queued = conn.pending.splice(0);
        for (const m of queued) publish(conn, m);
        // Commands from supervisors (README "Device commands"); a SUBSCRIBE repeated on reconnect is harmless.
        client.subscribe(commandsFilter(dev.site, dev.device), { qos: 1 }, (err) => void (err && stats.errors++));
        settle();
      });
      client.on('message', (_topic, payload) => {
        const answer = (): void => {
          if (conn.client !== client || stopping || !client.connected) return;
          const cmd = readCommand(payload, virtualNow());
          if (!cmd) return;
          const a = answerCommand(cmd, dev, gen!, scheduleAt(), Math.floor(virtualNow()));
          for (const m of a.messages) publish(conn, m);
          client.publish(a.reply.topic, JSON.stringify(a.reply.payload), { qos: 1 }, (err) => void (err && stats.errors++));
        };
        // A command that comes while the fleet is still connecting is answered once the schedule starts.
        if (gen) answer();
        else if (early.length < MAX_PENDING_PER_DEVICE) early.push(answer);
      });
      client.on('reconnect', () => {
        if (conn.client === client && !stopping) stats.reconnects++;
      });
      client.on('close', () => {
        if (conn.client !== client || conn.state !== 'connected') return;
        stats.connected--;
        conn.state = 'down';
        // The broker publishes the will; a status message follows the reconnect.
        conn.onAir = false;
        conn.missed = true;
      });
      client.on('error', (err: Error & { code?: unknown }) => {
        if (conn.client !== client) return;
        // CONNACK refusals carry the numeric return code (MQTT-3.2.2.3); mqtt.js stops retrying.
        if (typeof err.code === 'number') {
          stats.rejectedConnects++;
          conn.state = 'refused';
          settle();
        } else {
          stats.errors++;
        }
      });
    });
  };

  const goSilent = (conn: Conn): void => {
    if (conn.state === 'connected') stats.connected--;
    conn.state = 'silent';
    conn.onAir = false;
    conn.pending = [];
    // No DISCONNECT packet: to the broker this is a device that lost power, so its will fires.
    conn.client?.end(true);
  };

  const handle = (slot: SimSlot): void => {
    const conn = byId.get(slot.device.device)!;
    if (slot.silent) {
      if (conn.state !== 'silent' && conn.state !== 'refused') goSilent(conn);
      return;
    }
    if (conn.state === 'silent') {
      stats.reconnects++;
      void connect(conn);
    }
    if (conn.state === 'connected' && conn.client?.connected) {
      for (const m of slot.messages) publish(conn, m);
      return;
    }
    if (conn.state === 'connecting' && conn.pending.length + slot.messages.length <= MAX_PENDING_PER_DEVICE) {
      conn.pending.push(...slot.messages);
      return;
    }
    if (conn.state === 'down' || conn.state === 'connected') conn.missed = true;
    stats.skipped += slot.messages.length;
  };

  const schedule = (): void => {
    const realStart = Date.now();
    const perfStart = performance.now();
    const virtualStart = o.startTime === 'now' ? realStart : o.startTime;
    gen = ctx.makeGenerator(virtualStart);
    virtualNow = () => virtualStart + (Date.now() - realStart);
    scheduleAt = () => performance.now() - perfStart;
    for (const answer of early.splice(0)) answer();
    const interval = 1000 / o.rate;
    let turns = 0;
    let readings = 0;
    const tick = (): void => {
      timer = undefined;
      if (stopping) return;
      for (let budget = MAX_BATCH; budget > 0; budget--) {
        const elapsed = performance.now() - perfStart;
        const due = turns * interval;
        if (o.count !== undefined && readings >= o.count) return void stop();
        // The duration is wall time: a run that fell behind (a slow broker) still ends on time.
        if (o.duration !== undefined && elapsed >= o.duration) return void stop();
        if (o.duration !== undefined && due >= o.duration) {
          // Every turn of the run is out; end when the wall clock reaches the duration.
          timer = setTimeout(tick, o.duration - elapsed);
          return;
        }
        if (due > elapsed || inflight >= MAX_INFLIGHT) break;
        const slot = gen!.nextSlot();
        turns++;
        if (!slot.silent) readings++;
        handle(slot);
      }
      const wait = inflight >= MAX_INFLIGHT ? 2 : turns * interval - (performance.now() - perfStart);
      timer = setTimeout(tick, Math.min(1000, Math.max(0, wait)));
    };
    tick();
  };

  const rampUp = async (): Promise<void> => {
    const gap = 1000 / o.connectRate;
    const began = Date.now();
    const outcomes: Promise<void>[] = [];
    for (let i = 0; i < conns.length; i++) {
      if (stopping) return;
      const wait = began + i * gap - Date.now();
      if (wait > 0) await delay(wait, undefined, { signal: abort.signal });
      outcomes.push(connect(conns[i]!));
    }
    await Promise.all(outcomes);
  };

  const run = async (): Promise<void> => {
    if (o.output && !o.quiet) for (const line of ctx.banner) o.output.write(`${line}\n`);
    progress?.start();
    await rampUp();
    if (stopping) return;
    if (conns.every((c) => c.state === 'refused')) {
      throw new Error(`the broker at ${o.url} refused every device (${conns.length}): wrong secrets, or a registry the gateway does not know?`);
    }
    if (o.output && !o.quiet && !conns.some((c) => c.state === 'connected')) {
      o.output.write(`device-sim: no device could connect to ${o.url} yet; still trying (Ctrl-C to give up)\n`);
    }
    schedule();
  };

  const waitForInflight = async (): Promise<void> => {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (inflight > 0 && Date.now() < deadline) await delay(10);
  };

  const endClient = async (conn: Conn): Promise<void> => {
    const client = conn.client;
    if (!client) return;
    const graceful = conn.state === 'connected' && client.connected;
    await Promise.race([client.endAsync(!graceful).catch(() => undefined), delay(END_TIMEOUT_MS)]);
    if (!client.disconnected) client.end(true);
  };

  function stop(): Promise<void> {
    if (stopped) return stopped;
    stopping = true;
    abort.abort();
    if (timer) clearTimeout(timer);
    stopped = (async () => {
      if (gen) {
        // Switched off on purpose: say so, rather than leave it to the will.
        for (const c of conns) if (c.onAir && c.state === 'connected' && c.client?.connected) publish(c, gen.status(c.dev.device, false, scheduleAt()));
      }
      await waitForInflight();
      await Promise.all(conns.map(endClient));
      stats.connected = 0;
      try {
        await ctx.recorder?.close();
      } finally {
        progress?.stop(failure ? 'failed' : 'done');
      }
    })();
    stopped.then(
      () => (failure ? rejectDone(failure) : resolveDone()),
      (err: unknown) => rejectDone(err instanceof Error ? err : new Error(String(err))),
    );
    return stopped;
  }

  run().catch((err: unknown) => {
    if (!(err instanceof Error && err.name === 'AbortError')) failure = err instanceof Error ? err : new Error(String(err));
    void stop().catch(() => undefined);
  });

  return {
    seed: o.seed,
    stats: () => ({ ...stats }),
    stop,
    done,
  };
}
