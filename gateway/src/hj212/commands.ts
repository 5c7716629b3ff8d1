// Downlink: commands a supervisor sends to a connected logger, and their tracking. Each command
// gets a QN; the logger's 9011 (QnRtn), 9012 (ExeRtn) and data replies (1011 SystemTime, 1061
// RtdInterval) with that QN update it. Every command is also a device command record (commands/):
// QnRtn=1 is `delivered`, another QnRtn `refused`, ExeRtn=1 or the data answer `replied`, another
// ExeRtn `failed`, no answer within the TTL `expired`; those records write the audit trail.
import { z } from 'zod';
import { CommandRefused, type CommandRecord, type CommandRecords } from '../commands/index.js';
import type { RegisteredDevice } from '../registry/index.js';
import type { CrcMode } from './crc.js';
import { parseCp } from './cp.js';
import { frame } from './encode.js';
import { encodeFlag, formatPacket, type Packet } from './packet.js';
import { formatLocalTime } from './time.js';

export const hj212CommandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('realtime.start') }).strict(), // CN 2011
  z.object({ command: z.literal('realtime.stop') }).strict(), // CN 2012
  z.object({ command: z.literal('time.read') }).strict(), // CN 1011
  // CN 1012; without `time`, the gateway's clock (time calibration).
  z.object({ command: z.literal('time.set'), time: z.iso.datetime({ offset: true }).optional() }).strict(),
  z.object({ command: z.literal('interval.read') }).strict(), // CN 1061
  z.object({ command: z.literal('interval.set'), seconds: z.number().int().min(1).max(3600) }).strict(), // CN 1062
]);
export type Hj212Command = z.infer<typeof hj212CommandSchema>;

const CN: Record<Hj212Command['command'], string> = {
  'realtime.start': '2011',
  'realtime.stop': '2012',
  'time.read': '1011',
  'time.set': '1012',
  'interval.read': '1061',
  'interval.set': '1062',
};

export const QN_RTN: Record<string, string> = { '1': 'ready', '2': 'rejected', '3': 'bad PW', '4': 'bad MN', '5': 'bad ST', '6': 'bad Flag', '7': 'bad QN', '8': 'bad CN', '9': 'bad CRC', '100': 'unknown' };
export const EXE_RTN: Record<string, string> = { '1': 'success', '2': 'failed', '3': 'condition error', '4': 'timeout', '5': 'busy', '6': 'fault', '100': 'no data' };

export const commandStatusSchema = z.object({
  qn: z.string(),
  device: z.string(),
  command: z.string(),
  cn: z.string(),
  state: z.enum(['sent', 'accepted', 'rejected', 'done', 'failed', 'timeout']),
  /** The device command record (GET /api/commands/:id) this downlink command reports through. */
  commandId: z.string(),
  qnRtn: z.string().nullable(),
  exeRtn: z.string().nullable(),
  /** Values the logger returned (SystemTime, RtdInterval...). */
  data: z.record(z.string(), z.string()),
  sentAt: z.number(),
  updatedAt: z.number(),
  by: z.string(),
});
export type CommandStatus = z.infer<typeof commandStatusSchema>;

export interface Hj212CommandsOptions {
  /** Sends a frame to the device's connection; false when it is not connected. */
  send(deviceId: string, text: string): boolean;
  session(deviceId: string): { mode: CrcMode; mn: string; st?: string } | undefined;
  /** The device command records (state, reply, audit trail). */
  records: CommandRecords;
  clock: () => number;
  timezone: string;
  /** A command without an answer in this long is marked `timeout`. */
  timeoutMs?: number;
}

export class CommandError extends Error {
  constructor(
    readonly kind: 'not_connected' | 'not_hj212',
    message: string,
  ) {
    super(message);
  }
}

export function createHj212Commands(opts: Hj212CommandsOptions) {
  const byQn = new Map<string, CommandStatus>();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const { records } = opts;
  let last = 0;

  /** A QN not used before on this gateway (millisecond local time, bumped on a collision). */
  function newQn(): string {
    const t = Math.max(opts.clock(), last + 1);
    last = t;
    return formatLocalTime(t, opts.timezone, true);
  }

  /** The record of a reply's QN: from memory, or from the state database after a restart. */
  function recordOf(device: RegisteredDevice, qn: string, c: CommandStatus | undefined): string | undefined {
    return c?.commandId ?? records.byRef(device.device, qn)?.id;
  }

  function send(device: RegisteredDevice, cmd: Hj212Command, by: string, ttlMs = timeoutMs): { status: CommandStatus; record: CommandRecord } {
    const hj = device.entry.hj212;
    if (device.entry.protocol !== 'hj212' || !hj) throw new CommandError('not_hj212', `device ${device.device} is not an HJ 212 logger`);
    const session = opts.session(device.device);
    if (!session) throw new CommandError('not_connected', `HJ 212 logger ${device.device} is not connected`);
    const cn = CN[cmd.command];
    let cp = '';
    if (cmd.command === 'time.set') cp = `SystemTime=${formatLocalTime(cmd.time ? Date.parse(cmd.time) : opts.clock(), hj.timezone ?? opts.timezone)}`;
    if (cmd.command === 'interval.set') cp = `RtdInterval=${cmd.seconds}`;
    const qn = newQn();
    // The login PW is known only as its hash; a logger that wants a PW in downlink frames gets
    // the registry's separate downlinkPassword. The frame is never logged or returned.
    const pw = hj.downlinkPassword !== undefined ? { pw: hj.downlinkPassword } : {};
    const text = frame(formatPacket({ qn, st: session.st ?? '32', cn, ...pw, mn: session.mn, flag: { value: encodeFlag({ ack: true }), ack: true, split: false, versionBits: 1, version: '2017' }, cp }), session.mode);
    if (!opts.send(device.device, text)) throw new CommandError('not_connected', `HJ 212 logger ${device.device} is not connected`);
    const now = opts.clock();
    const { command, ...payload } = cmd;
    const record = records.create({ site: device.site, device: device.device, name: command, payload, transport: 'hj212', ref: qn, by, issuedAt: now, expiresAt: now + ttlMs, detail: { cn, ...(cp ? { cp } : {}) } });
    const status: CommandStatus = { qn, device: device.device, command: cmd.command, cn, state: 'sent', commandId: record.id, qnRtn: null, exeRtn: null, data: {}, sentAt: now, updatedAt: now, by };
    byQn.set(qn, status);
    if (byQn.size > 10_000) byQn.delete(byQn.keys().next().value!);
    return { status: { ...status }, record };
  }

  return {
    send: (device: RegisteredDevice, cmd: Hj212Command, by: string): CommandStatus => send(device, cmd, by).status,

    /** POST /api/devices/:id/commands for an HJ 212 logger: `name` is the command, `payload` its parameters. */
    issue(device: RegisteredDevice, cmd: { name: string; payload: Record<string, unknown>; ttl: number }, by: string): CommandRecord {
      const parsed = hj212CommandSchema.safeParse({ ...cmd.payload, command: cmd.name });
      if (!parsed.success) throw new CommandRefused('bad_command', `not an HJ 212 downlink command: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'command'}: ${i.message}`).join('; ')} (commands: ${Object.keys(CN).join(', ')})`);
      try {
        return send(device, parsed.data, by, cmd.ttl * 1000).record;
      } catch (err) {
        if (err instanceof CommandError) throw new CommandRefused(err.kind === 'not_connected' ? 'not_connected' : 'bad_command', err.message);
        throw err;
      }
    },

    /** A reply frame from a logger (9011, 9012 or a data answer). */
    onReply(device: RegisteredDevice, packet: Packet): void {
      const cp = parseCp(packet.cp);
      // Some loggers put the request's QN inside CP (DOMAIN.md corpus notes).
      const qn = cp.keys.QN ?? packet.qn;
      if (qn === undefined) return;
      const found = byQn.get(qn);
      const c = found && found.device === device.device ? found : undefined;
      const id = recordOf(device, qn, c);
      if (c) c.updatedAt = opts.clock();
      if (packet.cn === '9011') {
        const qnRtn = cp.keys.QnRtn ?? null;
        const meaning = QN_RTN[qnRtn ?? ''] ?? 'unknown';
        if (c) {
          c.qnRtn = qnRtn;
          c.state = qnRtn === '1' ? 'accepted' : 'rejected';
        }
        if (id && qnRtn === '1') {
          records.move(id, 'delivered', 'device', { qnRtn, meaning });
          // Commands without an execution step are done once the logger takes them.
          const cn = c?.cn ?? records.byRef(device.device, qn)?.transitions[0]?.detail?.['cn'];
          if (cn === '2011' || cn === '2012') {
            if (c) c.state = 'done';
            records.move(id, 'replied', 'device', { qnRtn }, { status: 'ok' });
          }
        } else if (id) records.move(id, 'refused', 'device', { qnRtn, meaning }, { status: 'refused', message: meaning });
      } else if (packet.cn === '9012') {
        const exeRtn = cp.keys.ExeRtn ?? null;
        const meaning = EXE_RTN[exeRtn ?? ''] ?? 'unknown';
        if (c) {
          c.exeRtn = exeRtn;
          c.state = exeRtn === '1' ? 'done' : 'failed';
        }
        if (id && exeRtn === '1') records.move(id, 'replied', 'device', { exeRtn, meaning }, { status: 'ok', ...(c && Object.keys(c.data).length ? { result: { ...c.data } } : {}) });
        else if (id) records.move(id, 'failed', 'device', { exeRtn, meaning }, { status: 'error', message: meaning });
      } else {
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(cp.keys)) if (k !== 'QN') data[k] = v;
        if (c) Object.assign(c.data, data);
        if (!id) return;
        // The data answer of a read command is its reply; after an ExeRtn it is attached.
        const moved = records.move(id, 'replied', 'device', { cn: packet.cn, data }, { status: 'ok', result: { ...(c?.data ?? data) } });
        if (!moved.ok && moved.record?.state === 'replied') records.attach(id, { status: 'ok', result: { ...(moved.record.reply?.result ?? {}), ...data } });
      }
    },

    /** CN 1013: the logger asks for a time calibration; the gateway answers with 1012 (its own clock). */
    onTimeRequest(device: RegisteredDevice): CommandStatus | undefined {
      try {
        return send(device, { command: 'time.set' }, 'system').status;
      } catch {
        return undefined;
      }
    },

    get(qn: string): CommandStatus | undefined {
      const c = byQn.get(qn);
      if (c && (c.state === 'sent' || c.state === 'accepted') && opts.clock() - c.updatedAt > timeoutMs) c.state = 'timeout';
      return c ? { ...c, data: { ...c.data } } : undefined;
    },
  };
}

export type Hj212Commands = ReturnType<typeof createHj212Commands>;
