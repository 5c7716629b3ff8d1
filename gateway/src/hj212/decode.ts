// One framed data segment to a decoded message, given the sending device's CRC mode.
import { checkCrc, type CrcMode } from './crc.js';
import { parseCp, type Cp } from './cp.js';
import { parsePacket, type Packet } from './packet.js';

export type DecodeRefusal = 'bad_crc' | 'bad_packet';

export type DecodedFrame =
  | { ok: true; packet: Packet; crcVariant: 'hj212' | 'modbus' }
  | { ok: false; reason: DecodeRefusal; detail: string; packet?: Packet };

/** Parses the header first (the MN says whose CRC mode applies), then checks the CRC. */
export function decodeData(data: Buffer, crc: string, mode: CrcMode | ((p: Packet) => CrcMode)): DecodedFrame {
  const parsed = parsePacket(data.toString('latin1'));
  if (!parsed.ok) {
    // A frame whose header cannot be read still has a CRC: a bad one is the likelier cause.
    const check = checkCrc(data, crc, typeof mode === 'function' ? 'either' : mode);
    if (!check.ok) return { ok: false, reason: 'bad_crc', detail: `CRC ${crc} does not match (expected ${check.expected})` };
    return parsed;
  }
  const m = typeof mode === 'function' ? mode(parsed.packet) : mode;
  const check = checkCrc(data, crc, m);
  if (!check.ok) return { ok: false, reason: 'bad_crc', detail: `CRC ${crc} does not match (expected ${check.expected} in ${m} mode)`, packet: parsed.packet };
  return { ok: true, packet: parsed.packet, crcVariant: check.variant };
}

export function cpOf(packet: Packet): Cp {
  return parseCp(packet.cp);
}
