// Building frames: replies from the gateway, the simulator's loggers, tests.
import { crcFor, type CrcMode } from './crc.js';
import { encodeFlag, formatPacket } from './packet.js';

/** Wraps a data segment: `##` + length + data + CRC (in `mode`) + CRLF. */
export function frame(data: string, mode: CrcMode = 'hj212'): string {
  return `##${String(Buffer.byteLength(data, 'latin1')).padStart(4, '0')}${data}${crcFor(data, mode)}\r\n`;
}

export interface ReplyTo {
  qn?: string;
  mn: string;
  pw?: string;
  st?: string;
}

/** A gateway -> logger reply (ST=91, no ack wanted) carrying `cp` (9011, 9012, 9014...). */
export function replyFrame(cn: string, to: ReplyTo, cp: string, mode: CrcMode, versionBits = 1): string {
  return frame(
    formatPacket({ qn: to.qn, st: '91', cn, pw: to.pw, mn: to.mn, flag: { value: encodeFlag({ ack: false, versionBits }), ack: false, split: false, versionBits, version: '2017' }, cp }),
    mode,
  );
}
