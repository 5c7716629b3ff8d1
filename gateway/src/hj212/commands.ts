// Downlink: commands a supervisor sends to a connected logger, and their tracking. Each command
// gets a QN; the logger's 9011 (QnRtn), 9012 (ExeRtn) and data replies (1011 SystemTime, 1061
// RtdInterval) with that QN update it, and every step goes into the audit trail.
import { z } from 'zod';
import type { AuditEntry } from '../events/index.js';
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
  audit(entry: AuditEntry): void;
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
  let last = 0;

  function audit(device: RegisteredDevice | { site: string; device: string }, type: string, actor: string, c: CommandStatus, detail: Record<string, unknown>) {
    opts.audit({ kind: 'command', eventId: null, windowId: null, site: device.site, device: device.device, type, at: opts.clock(), actor, note: null, severity: null, value: null, detail: { qn: c.qn, cn: c.cn, command: c.command, ...detail } });
  }

  /** A QN not used before on this gateway (millisecond local time, bumped on a collision). */
  function newQn(): string {
    const t = Math.max(opts.clock(), last + 1);
    last = t;
    return formatLocalTime(t, opts.timezone, true);
  }

  return {
    send(device: RegisteredDevice, cmd: Hj212Command, by: string): CommandStatus {
      const hj = device.entry.hj212;
      if (device.entry.protocol !== 'hj212' || !hj) throw new CommandError('not_hj212', `device ${device.device} is not an HJ 212 logger`);
      const session = opts.session(device.device);
      if (!session) throw new CommandError('not_connected', `HJ 212 logger ${device.device} is not connected`);
      const cn = CN[cmd.command];
      let cp = '';
      if (cmd.command === 'time.set') cp = `SystemTime=${formatLocalTime(cmd.time ? Date.parse(cmd.time) : opts.clock(), hj.timezone ?? opts.timezone)}`;
      if (cmd.command === 'interval.set') cp = `RtdInterval=${cmd.seconds}`;
      const qn = newQn();
      // The logger's PW is not known to the gateway (only its hash); commands carry the MN.
      const text = frame(formatPacket({ qn, st: session.st ?? '32', cn, mn: session.mn, flag: { value: encodeFlag({ ack: true }), ack: true, split: false, versionBits: 1, version: '2017' }, cp }), session.mode);
      const now = opts.clock();
      const status: CommandStatus = { qn, device: device.device, command: cmd.command, cn, state: 'sent', qnRtn: null, exeRtn: null, data: {}, sentAt: now, updatedAt: now, by };
      if (!opts.send(device.device, text)) throw new CommandError('not_connected', `HJ 212 logger ${device.device} is not connected`);
      byQn.set(qn, status);
      if (byQn.size > 10_000) byQn.delete(byQn.keys().next().value!);
      audit(device, 'hj212.command.sent', by, status, cp ? { cp } : {});
      return { ...status };
    },

    /** A reply frame from a logger (9011, 9012 or a data answer). */
    onReply(device: RegisteredDevice, packet: Packet): void {
      const cp = parseCp(packet.cp);
      // Some loggers put the request's QN inside CP (DOMAIN.md corpus notes).
      const qn = cp.keys.QN ?? packet.qn;
      const c = qn === undefined ? undefined : byQn.get(qn);
      if (!c || c.device !== device.device) return;
      c.updatedAt = opts.clock();
      if (packet.cn === '9011') {
        c.qnRtn = cp.keys.QnRtn ?? null;
        c.state = c.qnRtn === '1' ? 'accepted' : 'rejected';
        // Commands without an execution step are done once the logger takes them.
        if (c.state === 'accepted' && (c.cn === '2011' || c.cn === '2012')) c.state = 'done';
        audit(device, 'hj212.command.qnrtn', 'device', c, { qnRtn: c.qnRtn, meaning: QN_RTN[c.qnRtn ?? ''] ?? 'unknown' });
      } else if (packet.cn === '9012') {
        c.exeRtn = cp.keys.ExeRtn ?? null;
        c.state = c.exeRtn === '1' ? 'done' : 'failed';
        audit(device, 'hj212.command.exertn', 'device', c, { exeRtn: c.exeRtn, meaning: EXE_RTN[c.exeRtn ?? ''] ?? 'unknown' });
      } else {
        for (const [k, v] of Object.entries(cp.keys)) if (k !== 'QN') c.data[k] = v;
        audit(device, 'hj212.command.data', 'device', c, { data: c.data });
      }
    },

    /** CN 1013: the logger asks for a time calibration; the gateway answers with 1012 (its own clock). */
    onTimeRequest(device: RegisteredDevice): CommandStatus | undefined {
      try {
        return this.send(device, { command: 'time.set' }, 'system');
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
