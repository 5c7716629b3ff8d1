// Byte-exact HJ 212 frames of a simulated pollution-source logger. Every value is a pure
// function of (seed, MN, virtual time, scenarios), so a run repeats byte for byte.
import { formatLocalTime, formatPacket, frame, type CrcMode } from '../../../gateway/src/protocol/index.js';
import { createRng } from '../prng.js';

export const HJ212_SCENARIOS = ['cod-high', 'fault', 'crc', 'split', 'modbus', 'outage'] as const;
export type Hj212Scenario = (typeof HJ212_SCENARIOS)[number];

export interface SimLoggerSpec {
  /** Registry device id (for messages only). */
  id: string;
  mn: string;
  pw: string;
  crc: CrcMode;
  scenarios: ReadonlySet<Hj212Scenario>;
}

interface Factor {
  code: string;
  base: number;
  spread: number;
  decimals: number;
  /** Cumulative flow: the minute and hour frames carry -Cou. */
  cumulative?: boolean;
}

// Wastewater outlet (ST=32): flow, pH, COD, NH3-N. COD's discharge limit is 100 mg/L.
const FACTORS: Factor[] = [
  { code: 'w00000', base: 12, spread: 1.5, decimals: 2, cumulative: true },
  { code: 'w01001', base: 7.2, spread: 0.2, decimals: 2 },
  { code: 'w01018', base: 45, spread: 6, decimals: 1 },
  { code: 'w21003', base: 4, spread: 0.6, decimals: 2 },
];
const ZONE = 'Asia/Shanghai';
const QN_OFFSET: Record<string, number> = { '2011': 0, '2051': 1, '2061': 2 };

export function value(seed: string, logger: SimLoggerSpec, code: string, at: number): number {
  const f = FACTORS.find((x) => x.code === code)!;
  const rng = createRng(`${seed}/${logger.mn}/${code}/${Math.floor(at / 1000)}`);
  // A daily cycle peaking late morning, plus noise.
  const hour = ((at / 3_600_000 + 8) % 24 + 24) % 24;
  let v = f.base + f.spread * (0.6 * Math.sin(((hour - 5) / 24) * 2 * Math.PI) + 0.5 * rng.normal());
  if (code === 'w01018' && logger.scenarios.has('cod-high')) v += 105;
  return Number(Math.max(0, v).toFixed(f.decimals));
}

const flagOf = (logger: SimLoggerSpec, code: string) => (code === 'w01018' && logger.scenarios.has('fault') ? 'D' : 'N');

function wrap(logger: SimLoggerSpec, cn: string, at: number, cp: string, split?: { pnum: number; pno: number }, corrupt = false): string {
  const flagValue = split ? 7 : 5;
  const data = formatPacket({
    // QN is a millisecond timestamp naming one exchange: frames of one instant get 0, 1, 2 ms.
    qn: formatLocalTime(at + (QN_OFFSET[cn] ?? 0), ZONE, true),
    st: '32',
    cn,
    pw: logger.pw,
    mn: logger.mn,
    flag: { value: flagValue, ack: true, split: !!split, versionBits: 1, version: '2017' },
    ...(split ? { pnum: split.pnum, pno: split.pno } : {}),
    cp,
  });
  const text = frame(data, logger.crc);
  if (!corrupt) return text;
  // A corrupted CRC (a line fault): the first hex digit changes.
  const i = text.length - 6;
  const c = text[i] === '0' ? '1' : '0';
  return text.slice(0, i) + c + text.slice(i + 1);
}

/** CN 2011 at `at`: every factor's real-time value and flag. */
export function realTimeFrame(seed: string, logger: SimLoggerSpec, at: number, corrupt = false): string {
  const fields = FACTORS.map((f) => `${f.code}-Rtd=${value(seed, logger, f.code, at).toFixed(f.decimals)},${f.code}-Flag=${flagOf(logger, f.code)}`);
  return wrap(logger, '2011', at, `DataTime=${formatLocalTime(at, ZONE)};${fields.join(';')}`, undefined, corrupt);
}

/** Avg/Min/Max (and Cou for flow) of the real-time values every `stepMs` in [from, to). */
function aggregates(seed: string, logger: SimLoggerSpec, from: number, to: number, stepMs: number): string[] {
  return FACTORS.map((f) => {
    const vs: number[] = [];
    for (let t = from; t < to; t += stepMs) vs.push(value(seed, logger, f.code, t));
    const avg = vs.reduce((a, b) => a + b, 0) / vs.length;
    let s = `${f.code}-Avg=${avg.toFixed(f.decimals)},${f.code}-Min=${Math.min(...vs).toFixed(f.decimals)},${f.code}-Max=${Math.max(...vs).toFixed(f.decimals)}`;
    if (f.cumulative) s += `,${f.code}-Cou=${(avg * ((to - from) / 1000)).toFixed(1)}`;
    return `${s},${f.code}-Flag=${flagOf(logger, f.code)}`;
  });
}

/** CN 2051 for the minute starting at `minute`. */
export function minuteFrame(seed: string, logger: SimLoggerSpec, minute: number, stepMs: number, corrupt = false): string {
  return wrap(logger, '2051', minute + 60_000, `DataTime=${formatLocalTime(minute, ZONE)};${aggregates(seed, logger, minute, minute + 60_000, stepMs).join(';')}`, undefined, corrupt);
}

/** CN 2061 for the hour starting at `hour`: one frame, or two parts with the `split` scenario. */
export function hourFrames(seed: string, logger: SimLoggerSpec, hour: number, corrupt = false): string[] {
  const groups = aggregates(seed, logger, hour, hour + 3_600_000, 60_000);
  const head = `DataTime=${formatLocalTime(hour, ZONE)}`;
  const at = hour + 3_600_000;
  if (!logger.scenarios.has('split')) return [wrap(logger, '2061', at, `${head};${groups.join(';')}`, undefined, corrupt)];
  const half = Math.ceil(groups.length / 2);
  return [wrap(logger, '2061', at, `${head};${groups.slice(0, half).join(';')}`, { pnum: 2, pno: 1 }, corrupt), wrap(logger, '2061', at, groups.slice(half).join(';'), { pnum: 2, pno: 2 })];
}

export interface TimedFrame {
  at: number;
  text: string;
  cn: string;
}

/**
 * Every frame the logger sends in (from, to]: 2011 every `intervalMs`, 2051 after each minute,
 * 2061 after each hour. With `crc`, every fifth real-time frame has a corrupted CRC.
 */
export function framesBetween(seed: string, logger: SimLoggerSpec, from: number, to: number, intervalMs: number): TimedFrame[] {
  const out: TimedFrame[] = [];
  const first = Math.floor(from / intervalMs) * intervalMs + intervalMs;
  for (let t = first; t <= to; t += intervalMs) {
    const n = Math.floor(t / intervalMs);
    out.push({ at: t, cn: '2011', text: realTimeFrame(seed, logger, t, logger.scenarios.has('crc') && n % 5 === 0) });
    if (t % 60_000 < intervalMs) {
      const minute = Math.floor(t / 60_000) * 60_000 - 60_000;
      out.push({ at: t, cn: '2051', text: minuteFrame(seed, logger, minute, intervalMs) });
    }
    if (t % 3_600_000 < intervalMs) {
      const hour = Math.floor(t / 3_600_000) * 3_600_000 - 3_600_000;
      for (const text of hourFrames(seed, logger, hour)) out.push({ at: t, cn: '2061', text });
    }
  }
  return out;
}
