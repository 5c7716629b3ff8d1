// Device commands: issued by supervisors, kept in the state database until delivered or
// expired, sent over MQTT (or the HJ 212 downlink), answered on the replies channel.
import type { Aedes } from 'aedes';
import type { AuditLog } from '../events/index.js';
import { createRateLimitedLog, type Logger, type Metrics } from '../observability/index.js';
import { commandReplySchema, replyCommandId } from '../protocol/commands.js';
import type { RegisteredDevice, Registry } from '../registry/index.js';
import type { StateDb } from '../storage/index.js';
import { createMqttDelivery, type MqttDelivery } from './mqtt.js';
import { isFinal, type CommandRecord, type CommandReplyRecord, type CommandState, type NewCommand } from './schema.js';
import { createCommandStore, type MoveResult, type NewRecord } from './store.js';

export class CommandRefused extends Error {
  constructor(
    readonly kind: 'queue_full' | 'not_connected' | 'bad_command',
    message: string,
  ) {
    super(message);
  }
}

/** Why a device's reply was not attached to a command (label of gateway_command_replies_total). */
export type ReplyOutcome = 'attached' | 'bad_topic' | 'too_large' | 'bad_payload' | 'unknown' | 'foreign' | 'expired' | 'duplicate';

/** What the HJ 212 downlink needs of the records: the same rows, states and audit trail. */
export interface CommandRecords {
  create(n: NewRecord): CommandRecord;
  move(id: string, to: CommandState, actor: string, detail?: Record<string, unknown>, reply?: Omit<CommandReplyRecord, 'at'>): MoveResult;
  attach(id: string, reply: Omit<CommandReplyRecord, 'at'>): void;
  byRef(device: string, ref: string): CommandRecord | undefined;
}

/** The HJ 212 downlink as a transport: it checks the command against its own table and sends it. */
export type Hj212Transport = (device: RegisteredDevice, command: NewCommand, by: string) => CommandRecord;

export interface DeviceCommandsOptions {
  db: StateDb;
  audit: AuditLog;
  registry: () => Registry;
  metrics: Metrics;
  logger: Logger;
  clock: () => number;
  /** Commands waiting for one device before a new one is refused (429). */
  maxQueuedPerDevice?: number;
  /** Finished commands kept per device (their audit rows stay). */
  keepPerDevice?: number;
}

/** Largest reply payload a device may send; a picture belongs on the vision channel, not here. */
export const MAX_REPLY_BYTES = 16 * 1024;

export function createDeviceCommands(opts: DeviceCommandsOptions) {
  const { clock, logger } = opts;
  const store = createCommandStore({ db: opts.db, audit: opts.audit, ...(opts.keepPerDevice ? { keepPerDevice: opts.keepPerDevice } : {}) });
  const maxQueued = opts.maxQueuedPerDevice ?? 16;
  const transitions = opts.metrics.counter('gateway_commands_total', 'Device command transitions, by state reached');
  const replies = opts.metrics.counter('gateway_command_replies_total', 'Replies from devices to commands, by outcome (attached or why refused)');
  const refusalLog = createRateLimitedLog(60_000, clock);
  let mqtt: MqttDelivery | undefined;
  let hj212: Hj212Transport | undefined;

  function move(id: string, to: CommandState, actor: string, detail?: Record<string, unknown>, reply?: Omit<CommandReplyRecord, 'at'>): MoveResult {
    const at = clock();
    const r = store.move(id, to, at, actor, detail, reply ? { ...reply, at } : undefined);
    if (r.ok) transitions.inc({ state: to });
    return r;
  }

  const records: CommandRecords = {
    create(n) {
      const r = store.create(n);
      transitions.inc({ state: 'queued' });
      return r;
    },
    move,
    attach: (id, reply) => store.attach(id, { ...reply, at: clock() }),
    byRef: (device, ref) => store.byRef(device, ref),
  };

  /** A queued command past its TTL is expired here, before anything would send it. */
  function waiting(device: string): CommandRecord[] {
    const now = clock();
    return store.waiting(device).filter((r) => {
      if (r.expiresAt > now) return true;
      move(r.id, 'expired', 'system', { delivered: false });
      return false;
    });
  }

  function refuse(device: RegisteredDevice, outcome: ReplyOutcome, detail: string): ReplyOutcome {
    replies.inc({ outcome });
    if (refusalLog.shouldLog(`${device.device}|${outcome}`)) logger.warn({ device: device.device, outcome, detail }, 'command reply refused');
    return outcome;
  }

  function reply(device: RegisteredDevice, commandId: string, payload: Buffer): ReplyOutcome {
    if (commandId === '') return refuse(device, 'bad_topic', 'the last topic level of a reply must be a command id');
    if (payload.length > MAX_REPLY_BYTES) return refuse(device, 'too_large', `a reply may be at most ${MAX_REPLY_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return refuse(device, 'bad_payload', 'a reply must be JSON');
    }
    const parsed = commandReplySchema.safeParse(body);
    if (!parsed.success) return refuse(device, 'bad_payload', parsed.error.issues.map((i) => `${i.path.join('.') || 'reply'}: ${i.message}`).join('; '));
    const c = store.get(commandId);
    if (!c || c.transport !== 'mqtt') return refuse(device, 'unknown', `no command ${commandId}`);
    // Another device's command id: refused the same way whether or not it exists, plus a counter.
    if (c.device !== device.device) return refuse(device, 'foreign', `command ${commandId} was not sent to ${device.device}`);
    if (c.state === 'expired' || (!isFinal(c.state) && c.expiresAt <= clock())) {
      if (c.state !== 'expired') move(c.id, 'expired', 'system', { delivered: c.state === 'delivered', lateReply: true });
      return refuse(device, 'expired', `command ${commandId} expired at ${new Date(c.expiresAt).toISOString()}`);
    }
    if (isFinal(c.state)) return refuse(device, 'duplicate', `command ${commandId} is already ${c.state}`);
    const r = parsed.data;
    const to: CommandState = r.status === 'ok' ? 'replied' : r.status === 'error' ? 'failed' : 'refused';
    const record = { status: r.status, ...(r.result ? { result: r.result } : {}), ...(r.message ? { message: r.message } : {}) };
    // A reply before the PUBACK was seen still proves delivery.
    if (c.state === 'queued') move(c.id, 'delivered', 'device', { by: 'reply' });
    move(c.id, to, 'device', r.ts ? { deviceTs: r.ts } : undefined, record);
    replies.inc({ outcome: 'attached' });
    return 'attached';
  }

  return {
    records,
    /** Connects MQTT delivery to the broker (after it exists: the broker's publish hook reads replies from here). */
    attachBroker(aedes: Aedes) {
      mqtt = createMqttDelivery({
        aedes,
        waiting,
        acknowledged: (device, id) => {
          const c = store.get(id);
          if (c && c.device === device && c.state === 'queued') move(id, 'delivered', 'device', { by: 'puback' });
        },
        isDevice: (id) => opts.registry().device(id) !== undefined,
        logger,
      });
    },
    /** The HJ 212 downlink, for commands to protocol: hj212 devices. */
    useHj212(t: Hj212Transport) {
      hj212 = t;
    },

    issue(device: RegisteredDevice, cmd: NewCommand, by: string): CommandRecord {
      if (device.entry.protocol === 'hj212') {
        if (!hj212) throw new CommandRefused('not_connected', 'the HJ 212 listener is off (GATEWAY_HJ212_PORT)');
        return hj212(device, cmd, by);
      }
      const queued = store.countWaiting(device.device);
      if (queued >= maxQueued) throw new CommandRefused('queue_full', `device ${device.device} already has ${queued} commands waiting (the limit is ${maxQueued}); wait for them to be delivered or to expire`);
      const now = clock();
      const r = records.create({ site: device.site, device: device.device, name: cmd.name, payload: cmd.payload, transport: 'mqtt', by, issuedAt: now, expiresAt: now + cmd.ttl * 1000 });
      mqtt?.deliver(r);
      return store.get(r.id) ?? r;
    },

    /** A device's publish on its replies channel; synchronous, durable once it returns. */
    reply,

    /**
     * Wraps the MQTT source: publishes on a device's replies channel go to the command records,
     * everything else to the source as before.
     */
    withReplies<S extends { onPublish(device: RegisteredDevice, topic: string, payload: Buffer, qos: number): Promise<unknown> | void }>(source: S): S {
      return {
        ...source,
        onPublish(device: RegisteredDevice, topic: string, payload: Buffer, qos: number) {
          const id = replyCommandId(topic, device.site, device.device);
          if (id === null) return source.onPublish(device, topic, payload, qos);
          reply(device, id, payload);
        },
      };
    },

    /** Expires commands past their TTL (queued ones are never sent after it); bounded per call. */
    sweep(): number {
      const due = store.due(clock(), 500);
      for (const r of due) move(r.id, 'expired', 'system', { delivered: r.state === 'delivered' });
      return due.length;
    },

    get: (id: string) => store.get(id),
    ofDevice: (device: string, limit: number, before?: number) => store.ofDevice(device, limit, before),
  };
}

export type DeviceCommands = ReturnType<typeof createDeviceCommands>;
