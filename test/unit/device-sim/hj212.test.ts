import { describe, expect, it } from 'vitest';
import { checkCrc, decodeData, Framer, parseCp, valuesOf } from '../../../gateway/src/hj212/index.js';
import { framesBetween, hj212Registry, loggersOf, type SimLoggerSpec } from '../../../device-sim/src/hj212/index.js';

const T0 = Date.parse('2026-12-01T15:59:00Z'); // 23:59 in Asia/Shanghai
const logger = (over: Partial<SimLoggerSpec> = {}): SimLoggerSpec => ({ id: 'l1', mn: 'SIM0001', pw: '123456', crc: 'hj212', scenarios: new Set(), ...over });

function decoded(text: string, mode: 'hj212' | 'modbus' = 'hj212') {
  const f = new Framer();
  return [...f.push(Buffer.from(text, 'latin1')), ...f.end()].map((o) => {
    if (o.type !== 'frame') throw new Error(o.reason);
    const d = decodeData(o.frame.data, o.frame.crc, mode);
    if (!d.ok) throw new Error(d.detail);
    return d.packet;
  });
}

describe('simulated HJ 212 loggers', () => {
  it('send the same bytes for the same seed and different bytes for another seed', () => {
    const a = framesBetween('s', logger(), T0, T0 + 5 * 60_000, 30_000).map((f) => f.text).join('');
    const b = framesBetween('s', logger(), T0, T0 + 5 * 60_000, 30_000).map((f) => f.text).join('');
    const c = framesBetween('t', logger(), T0, T0 + 5 * 60_000, 30_000).map((f) => f.text).join('');
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('send 2011 every interval, 2051 after each minute and 2061 after each hour, each decodable', () => {
    const frames = framesBetween('s', logger(), T0, T0 + 2 * 60_000, 30_000);
    expect(frames.map((f) => f.cn)).toEqual(['2011', '2011', '2051', '2061', '2011', '2011', '2051']);
    const packets = decoded(frames.map((f) => f.text).join(''));
    expect(new Set(packets.map((p) => p.qn)).size).toBe(packets.length);
    expect(valuesOf(parseCp(packets[3]!.cp)).map((v) => v.metric)).toContain('w01018_avg');
  });

  it('cod-high drives the hourly COD average over 100 mg/L', () => {
    const [hourly] = framesBetween('s', logger({ scenarios: new Set(['cod-high']) }), T0 + 30_000, T0 + 60_000, 30_000).filter((f) => f.cn === '2061');
    const cod = valuesOf(parseCp(decoded(hourly!.text)[0]!.cp)).find((v) => v.metric === 'w01018_avg')!;
    expect(cod.value).toBeGreaterThan(100);
  });

  it('fault flags COD with D', () => {
    const [rt] = framesBetween('s', logger({ scenarios: new Set(['fault']) }), T0, T0 + 30_000, 30_000);
    expect(valuesOf(parseCp(decoded(rt!.text)[0]!.cp)).find((v) => v.metric === 'w01018')).toMatchObject({ flag: 'D', valid: false });
  });

  it('crc corrupts every fifth real-time frame', () => {
    const rts = framesBetween('s', logger({ scenarios: new Set(['crc']) }), T0, T0 + 10 * 30_000, 30_000).filter((f) => f.cn === '2011');
    const bad = rts.filter((f) => {
      const o = new Framer().push(Buffer.from(f.text, 'latin1'))[0]!;
      return o.type === 'frame' && !checkCrc(o.frame.data, o.frame.crc, 'hj212').ok;
    });
    expect(bad.length).toBe(2);
  });

  it('split sends the hourly data in two parts of one QN', () => {
    const parts = framesBetween('s', logger({ scenarios: new Set(['split']) }), T0 + 30_000, T0 + 60_000, 30_000).filter((f) => f.cn === '2061');
    const packets = decoded(parts.map((p) => p.text).join(''));
    expect(packets.map((p) => [p.pnum, p.pno, p.flag!.split])).toEqual([
      [2, 1, true],
      [2, 2, true],
    ]);
    expect(packets[0]!.qn).toBe(packets[1]!.qn);
  });

  it('modbus loggers send Modbus CRC-16', () => {
    const [rt] = framesBetween('s', logger({ crc: 'modbus' }), T0, T0 + 30_000, 30_000);
    expect(() => decoded(rt!.text, 'hj212')).toThrow();
    expect(decoded(rt!.text, 'modbus')).toHaveLength(1);
  });

  it('a generated registry gives loggers with plain PWs and the modbus CRC where asked', () => {
    const reg = hj212Registry(2, 'seed', new Set(['hj212-02']));
    const loggers = loggersOf(reg, new Map([['outage', new Set(['hj212-01'])]]));
    expect(loggers.map((l) => [l.id, l.crc, [...l.scenarios]])).toEqual([
      ['hj212-01', 'hj212', ['outage']],
      ['hj212-02', 'modbus', []],
    ]);
  });
});
