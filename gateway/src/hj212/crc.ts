// The two checksums HJ 212 frames carry in the field (DOMAIN.md 1.8). Both run over the bytes of
// the data segment only and print as 4 hex digits; loggers use either case.

export type CrcMode = 'hj212' | 'modbus' | 'either';

/** Eight reflected shifts with the 0xA001 polynomial, shared by both variants. */
function shift8(reg: number): number {
  for (let j = 0; j < 8; j++) reg = reg & 1 ? (reg >> 1) ^ 0xa001 : reg >> 1;
  return reg;
}

/** HJ 212-2017 Appendix A: the byte goes into the high byte's place and the low byte is dropped. */
export function crcHj212(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (let i = 0; i < bytes.length; i++) reg = shift8((reg >> 8) ^ bytes[i]!);
  return reg;
}

/** CRC-16/MODBUS, which some loggers send instead. */
export function crcModbus(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (let i = 0; i < bytes.length; i++) reg = shift8(reg ^ bytes[i]!);
  return reg;
}

export function crcHex(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, '0');
}

/** The CRC text a sender in this mode puts after the data segment (`either` sends HJ 212's). */
export function crcFor(data: Uint8Array | string, mode: CrcMode): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  return crcHex(mode === 'modbus' ? crcModbus(bytes) : crcHj212(bytes));
}

export type CrcCheck = { ok: true; variant: 'hj212' | 'modbus' } | { ok: false; expected: string };

/** Checks a received CRC (case-insensitive) against the data segment in the device's mode. */
export function checkCrc(data: Uint8Array, received: string, mode: CrcMode): CrcCheck {
  const got = /^[0-9a-fA-F]{4}$/.test(received) ? parseInt(received, 16) : -1;
  if (mode !== 'modbus') {
    const hj = crcHj212(data);
    if (hj === got) return { ok: true, variant: 'hj212' };
    if (mode === 'hj212') return { ok: false, expected: crcHex(hj) };
  }
  const mb = crcModbus(data);
  if (mb === got) return { ok: true, variant: 'modbus' };
  return { ok: false, expected: crcHex(mb) };
}
