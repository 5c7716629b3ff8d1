// The data segment: `QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;[PNUM=..;PNO=..;]CP=&&...&&`.
// Header keys may come in any order and 2005-era loggers omit QN and Flag.

export type ProtocolVersion = '2005' | '2017' | '2025' | 'unknown';

/** Flag decoded as bits (DOMAIN.md 1.3), never matched against a list of values. */
export interface FlagBits {
  value: number;
  /** Bit 0 (A): the sender wants an acknowledgement. */
  ack: boolean;
  /** Bit 1 (D): PNUM/PNO are present (split packet). */
  split: boolean;
  /** Bits 2-7, the version number (0 = 2005, 1 = 2017, 2 = 2025). */
  versionBits: number;
  version: ProtocolVersion;
}

export interface Packet {
  qn?: string;
  st?: string;
  cn: string;
  pw?: string;
  mn: string;
  flag?: FlagBits;
  pnum?: number;
  pno?: number;
  /** Header keys beyond the standard ones, kept as sent. */
  extra: Record<string, string>;
  /** The text between `CP=&&` and the closing `&&`. */
  cp: string;
}

export type PacketError = { ok: false; reason: 'bad_packet'; detail: string };
export type PacketResult = { ok: true; packet: Packet } | PacketError;

const VERSIONS: Record<number, ProtocolVersion> = { 0: '2005', 1: '2017', 2: '2025' };

export function decodeFlag(value: number): FlagBits {
  const versionBits = (value >> 2) & 0x3f;
  return { value, ack: (value & 1) === 1, split: (value & 2) === 2, versionBits, version: VERSIONS[versionBits] ?? 'unknown' };
}

export function encodeFlag(f: { ack: boolean; split?: boolean; versionBits?: number }): number {
  return ((f.versionBits ?? 1) << 2) | (f.split ? 2 : 0) | (f.ack ? 1 : 0);
}

const fail = (detail: string): PacketError => ({ ok: false, reason: 'bad_packet', detail });
const KNOWN = new Set(['QN', 'ST', 'CN', 'PW', 'MN', 'Flag', 'PNUM', 'PNO']);

/** Parses a data segment that is already known to be printable ASCII. */
export function parsePacket(data: string): PacketResult {
  const at = data.indexOf('CP=&&');
  if (at === -1) return fail('no "CP=&&" in the data segment');
  if (at > 0 && data[at - 1] !== ';') return fail('"CP=" is not preceded by ";"');
  const rest = data.slice(at + 5);
  if (!rest.endsWith('&&')) return fail('CP does not end with "&&"');
  // Null-prototype records: keys come from the wire.
  const header: Record<string, string> = Object.create(null);
  const extra: Record<string, string> = Object.create(null);
  for (const part of data.slice(0, at).split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return fail(`header field "${part.slice(0, 20)}" is not KEY=VALUE`);
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (key in header || key in extra) return fail(`header field ${key} appears twice`);
    if (KNOWN.has(key)) header[key] = value;
    else extra[key] = value;
  }
  const cn = header.CN;
  if (cn === undefined || !/^\d{4}$/.test(cn)) return fail('CN is missing or not 4 digits');
  const mn = header.MN;
  if (mn === undefined || mn === '' || mn.length > 48) return fail('MN is missing or too long');
  if (header.QN !== undefined && !/^\d{14,20}$/.test(header.QN)) return fail('QN is not a timestamp of digits');
  let flag: FlagBits | undefined;
  if (header.Flag !== undefined) {
    if (!/^\d{1,3}$/.test(header.Flag) || Number(header.Flag) > 255) return fail('Flag is not a number 0-255');
    flag = decodeFlag(Number(header.Flag));
  }
  const packet: Packet = { cn, mn, extra, cp: rest.slice(0, -2) };
  if (header.QN !== undefined) packet.qn = header.QN;
  if (header.ST !== undefined) packet.st = header.ST;
  if (header.PW !== undefined) packet.pw = header.PW;
  if (flag) packet.flag = flag;
  if (header.PNUM !== undefined || header.PNO !== undefined) {
    const pnum = Number(header.PNUM);
    const pno = Number(header.PNO);
    if (!/^\d{1,4}$/.test(header.PNUM ?? '') || !/^\d{1,4}$/.test(header.PNO ?? '') || pnum < 1 || pno < 1 || pno > pnum) {
      return fail('PNUM/PNO must both be given, with 1 <= PNO <= PNUM');
    }
    packet.pnum = pnum;
    packet.pno = pno;
  }
  return { ok: true, packet };
}

/** Builds a data segment; fields in the standard's order. */
export function formatPacket(p: Omit<Packet, 'extra'> & { extra?: Record<string, string> }): string {
  let s = '';
  if (p.qn !== undefined) s += `QN=${p.qn};`;
  if (p.st !== undefined) s += `ST=${p.st};`;
  s += `CN=${p.cn};`;
  if (p.pw !== undefined) s += `PW=${p.pw};`;
  s += `MN=${p.mn};`;
  if (p.flag !== undefined) s += `Flag=${p.flag.value};`;
  if (p.pnum !== undefined && p.pno !== undefined) s += `PNUM=${p.pnum};PNO=${p.pno};`;
  for (const [k, v] of Object.entries(p.extra ?? {})) s += `${k}=${v};`;
  return `${s}CP=&&${p.cp}&&`;
}
