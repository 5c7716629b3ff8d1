import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkCrc,
  decodeData,
  decodeFlag,
  encodeFlag,
  formatLocalTime,
  formatPacket,
  frame,
  Framer,
  metricName,
  parseCp,
  parseLocalTime,
  parsePacket,
  Reassembler,
  valuesOf,
} from '../../../gateway/src/hj212/index.js';

describe('Flag', () => {
  it('decodes the bits: 5 is 2017 with ack, 7 adds split, 4 is 2017 without ack', () => {
    expect(decodeFlag(5)).toMatchObject({ ack: true, split: false, version: '2017' });
    expect(decodeFlag(7)).toMatchObject({ ack: true, split: true, version: '2017' });
    expect(decodeFlag(4)).toMatchObject({ ack: false, split: false, version: '2017' });
  });

  it('reads values outside any list by their bits: 8 is 2025, 0/1/3 are 2005, 255 is an unknown version', () => {
    expect(decodeFlag(8)).toMatchObject({ ack: false, version: '2025' });
    expect(decodeFlag(1)).toMatchObject({ ack: true, version: '2005' });
    expect(decodeFlag(3)).toMatchObject({ ack: true, split: true, version: '2005' });
    expect(decodeFlag(255)).toMatchObject({ ack: true, split: true, version: 'unknown', versionBits: 63 });
  });

  it('encodes what it decodes', () => {
    for (let v = 0; v < 256; v++) {
      const f = decodeFlag(v);
      expect(encodeFlag(f)).toBe(v);
    }
  });
});

describe('parsePacket', () => {
  it('reads the header in any order and keeps unknown header keys', () => {
    const r = parsePacket('ST=27;Flag=4;CN=2011;PW=123456;MN=DYGLO000001A000001;Vendor=1;CP=&&DataTime=20210823075400;a01011-Rtd=0.00&&');
    expect(r.ok && r.packet).toMatchObject({ st: '27', cn: '2011', pw: '123456', mn: 'DYGLO000001A000001', flag: { value: 4 }, extra: { Vendor: '1' } });
  });

  it('accepts a 2005 header without QN and Flag', () => {
    const r = parsePacket('ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;B01-Rtd=36.91&&');
    expect(r.ok && r.packet.flag).toBeUndefined();
    expect(r.ok && r.packet.qn).toBeUndefined();
  });

  it('refuses a packet without MN, without CN, or whose CP does not close', () => {
    expect(parsePacket('ST=32;CN=2011;CP=&&&&').ok).toBe(false);
    expect(parsePacket('ST=32;MN=M;CP=&&&&').ok).toBe(false);
    expect(parsePacket('CN=2011;MN=M;CP=&&DataTime=1').ok).toBe(false);
  });

  it('refuses PNO greater than PNUM', () => {
    expect(parsePacket('CN=2011;MN=M;Flag=7;PNUM=2;PNO=3;CP=&&&&').ok).toBe(false);
  });

  it('keeps a header key named __proto__ as a plain key', () => {
    const r = parsePacket('CN=2011;MN=M;__proto__=x;CP=&&&&');
    expect(r.ok && Object.keys(r.packet.extra)).toEqual(['__proto__']);
  });
});

describe('parseCp', () => {
  it('groups fields by code prefix whatever the separator', () => {
    const cp = parseCp('DataTime=20160824003817000;B01-Rtd=36.91;011-Rtd=231.0;011-Flag=N,060-Rtd=1.803,060-Flag=D;ValidNum=3');
    expect(cp.dataTime).toBe('20160824003817000');
    expect(cp.keys.ValidNum).toBe('3');
    expect(cp.groups.get('011')!.values).toEqual([{ suffix: 'Rtd', text: '231.0', flag: 'N' }]);
    expect(cp.groups.get('060')!.values).toEqual([{ suffix: 'Rtd', text: '1.803', flag: 'D' }]);
    expect(cp.groups.get('B01')!.values[0]!.flag).toBeUndefined();
  });

  it('gives each flag to the values of its code sent since the previous flag', () => {
    const cp = parseCp('01-Rtd=5.1,01-Flag=N;01-ZsRtd=6.2,01-Flag=D');
    expect(cp.groups.get('01')!.values).toEqual([
      { suffix: 'Rtd', text: '5.1', flag: 'N' },
      { suffix: 'ZsRtd', text: '6.2', flag: 'D' },
    ]);
  });

  it('keeps unknown suffixes, vendor codes and attributes', () => {
    const cp = parseCp('100000-Ia=401.400,w01018-SampleTime=20210101000000,w01018-EFlag=A01,w01018-Foo=1');
    expect(cp.groups.get('100000')!.values).toEqual([{ suffix: 'Ia', text: '401.400' }]);
    expect(cp.groups.get('w01018')!.attributes).toEqual({ SampleTime: '20210101000000', EFlag: 'A01' });
    expect(cp.groups.get('w01018')!.values).toEqual([{ suffix: 'Foo', text: '1' }]);
  });
});

describe('metric names and validity', () => {
  it('names Rtd after the 2017 code and the other suffixes with their documented endings', () => {
    expect(metricName('w01018', 'Rtd')).toBe('w01018');
    expect(metricName('w01018', 'Avg')).toBe('w01018_avg');
    expect(metricName('a34013', 'ZsAvg')).toBe('a34013_zs_avg');
    expect(metricName('a34013', 'ZsRtd')).toBe('a34013_zs');
    expect(metricName('w00000', 'Cou')).toBe('w00000_cou');
  });

  it('maps 2005 codes to 2017 codes', () => {
    expect(metricName('011', 'Rtd')).toBe('w01018');
    expect(metricName('B01', 'Cou')).toBe('w00000_cou');
    expect(metricName('01', 'ZsRtd')).toBe('a34013_zs');
    expect(metricName('S01', 'Avg')).toBe('a19001_avg');
  });

  it('prefixes a code that is not a metric name on its own, and lowers unknown suffixes', () => {
    expect(metricName('100000', 'Ia')).toBe('c_100000_ia');
    expect(metricName('SB1', 'RS')).toBe('sb1_rs');
  });

  it('marks N and S valid, F M D C T B invalid, and a value without a flag valid', () => {
    const cp = parseCp('a-Rtd=1,a-Flag=N;b-Rtd=1,b-Flag=S;c-Rtd=1,c-Flag=F;d-Rtd=1,d-Flag=M;e-Rtd=1,e-Flag=D;f-Rtd=1,f-Flag=C;g-Rtd=1,g-Flag=T;h-Rtd=1,h-Flag=B;i-Rtd=1');
    expect(valuesOf(cp).map((v) => `${v.metric}:${v.valid}`)).toEqual(['a:true', 'b:true', 'c:false', 'd:false', 'e:false', 'f:false', 'g:false', 'h:false', 'i:true']);
  });

  it('skips text in value fields and non-finite numbers', () => {
    expect(valuesOf(parseCp('w01018-Rtd=abc;w01001-Rtd=1e999;w21003-Rtd=-0.5')).map((v) => v.metric)).toEqual(['w21003']);
  });
});

describe('DataTime', () => {
  it('reads 14 and 17 digits as local time in the zone', () => {
    expect(parseLocalTime('20160824003817', 'Asia/Shanghai')).toBe(Date.parse('2016-08-23T16:38:17Z'));
    expect(parseLocalTime('20160824003817123', 'Asia/Shanghai')).toBe(Date.parse('2016-08-23T16:38:17.123Z'));
    expect(parseLocalTime('20160824003817', 'UTC')).toBe(Date.parse('2016-08-24T00:38:17Z'));
  });

  it('follows daylight saving time in zones that have it', () => {
    expect(parseLocalTime('20260701120000', 'Europe/Berlin')).toBe(Date.parse('2026-07-01T10:00:00Z'));
    expect(parseLocalTime('20260101120000', 'Europe/Berlin')).toBe(Date.parse('2026-01-01T11:00:00Z'));
  });

  it('refuses dates that do not exist and wrong lengths', () => {
    expect(parseLocalTime('20160230000000', 'UTC')).toBeUndefined();
    expect(parseLocalTime('2016082410450', 'UTC')).toBeUndefined();
    expect(parseLocalTime('20161324000000', 'UTC')).toBeUndefined();
  });

  it('formats back what it parses', () => {
    const at = Date.parse('2026-12-01T20:00:00.250Z');
    expect(formatLocalTime(at, 'Asia/Shanghai', true)).toBe('20261202040000250');
    expect(parseLocalTime(formatLocalTime(at, 'Asia/Shanghai', true), 'Asia/Shanghai')).toBe(at);
  });
});

describe('split packets', () => {
  const part = (pno: number, cp: string, qn = '20260101000000000') => {
    const r = parsePacket(`QN=${qn};CN=2061;MN=M;Flag=7;PNUM=3;PNO=${pno};CP=&&${cp}&&`);
    if (!r.ok) throw new Error(r.detail);
    return r.packet;
  };

  it('joins the parts of one QN in PNO order once all have arrived', () => {
    const r = new Reassembler<number>();
    expect(r.add(part(2, 'b-Avg=2'), 2, 0).type).toBe('held');
    expect(r.add(part(1, 'DataTime=20260101000000;a-Avg=1'), 1, 0).type).toBe('held');
    const done = r.add(part(3, 'c-Avg=3'), 3, 0);
    expect(done.type === 'complete' && done.packet.cp).toBe('DataTime=20260101000000;a-Avg=1;b-Avg=2;c-Avg=3');
    expect(done.type === 'complete' && done.parts.map((p) => p.tag)).toEqual([1, 2, 3]);
    expect(r.held()).toBe(0);
  });

  it('drops incomplete messages after the timeout', () => {
    const r = new Reassembler<number>({ maxParts: 8, maxBytes: 1000, timeoutMs: 1000 });
    r.add(part(1, 'a-Avg=1'), 1, 0);
    expect(r.expire(999)).toBe(0);
    expect(r.expire(1000)).toBe(1);
    expect(r.held()).toBe(0);
  });

  it('refuses more parts than the limit and more bytes than the limit', () => {
    const r = new Reassembler<number>({ maxParts: 2, maxBytes: 10, timeoutMs: 1000 });
    expect(r.add(part(1, 'a-Avg=1'), 1, 0)).toMatchObject({ type: 'refused' });
    const small = new Reassembler<number>({ maxParts: 8, maxBytes: 10, timeoutMs: 1000 });
    expect(small.add(part(1, 'a-Avg=12345678901'), 1, 0)).toMatchObject({ type: 'refused' });
  });
});

// Generated messages: encode -> frame -> decode gives back the same packet and values.
const code = fc.constantFrom('w01018', 'w01001', 'a34013', '011', 'B01', 'S01', 'a21026');
const suffix = fc.constantFrom('Rtd', 'Avg', 'Min', 'Max', 'Cou', 'ZsRtd', 'ZsAvg');
const flagLetter = fc.constantFrom('N', 'S', 'F', 'M', 'D', 'C', 'T', 'B');
const value = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => Number(v.toFixed(3)));

describe('round trip', () => {
  it('decodes what it encodes, in both CRC modes', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(code, suffix), { selector: ([c, s]) => metricName(c, s), maxLength: 8 }),
        fc.array(value, { minLength: 8, maxLength: 8 }),
        fc.array(flagLetter, { minLength: 8, maxLength: 8 }),
        fc.constantFrom('hj212' as const, 'modbus' as const),
        fc.integer({ min: 0, max: 255 }),
        (fields, values, flags, mode, flagValue) => {
          const cp = ['DataTime=20260101120000', ...fields.map(([c, s], i) => `${c}-${s}=${values[i]},${c}-Flag=${flags[i]}`)].join(';');
          const flag = decodeFlag(flagValue & ~2);
          const data = formatPacket({ qn: '20260101120000123', st: '32', cn: '2011', pw: '123456', mn: 'MN0001', flag, cp });
          const f = new Framer();
          const out = [...f.push(Buffer.from(frame(data, mode), 'latin1')), ...f.end()];
          expect(out).toHaveLength(1);
          const raw = out[0]!;
          if (raw.type !== 'frame') throw new Error('not a frame');
          expect(checkCrc(raw.frame.data, raw.frame.crc, mode).ok).toBe(true);
          const d = decodeData(raw.frame.data, raw.frame.crc, mode);
          if (!d.ok) throw new Error(d.detail);
          expect(d.packet).toMatchObject({ qn: '20260101120000123', st: '32', cn: '2011', pw: '123456', mn: 'MN0001', flag, cp });
          const got = valuesOf(parseCp(d.packet.cp));
          // Values come out grouped by code: compare as sets.
          const key = (x: unknown[]) => JSON.stringify(x);
          expect(got.map((v) => key([v.metric, v.value, v.flag])).sort()).toEqual(fields.map(([c, s], i) => key([metricName(c, s), values[i], flags[i]])).sort());
        },
      ),
      { numRuns: 300, seed: 2017 },
    );
  });
});
