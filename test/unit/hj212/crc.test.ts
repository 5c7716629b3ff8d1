import { describe, expect, it } from 'vitest';
import { checkCrc, crcFor, crcHj212, crcModbus, Framer } from '../../../gateway/src/hj212/index.js';
import { readVectors, unescapeVector } from '../../helpers/hj212-corpus.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('HJ 212 CRC', () => {
  it('gives 2F80 for "123456789" (the Appendix A variant) and 4B37 for Modbus', () => {
    expect(crcHj212(b('123456789'))).toBe(0x2f80);
    expect(crcModbus(b('123456789'))).toBe(0x4b37);
  });

  it('always ends in one of the bytes 00/01/40/41/80/81/C0/C1 (only 256 values)', () => {
    for (const s of ['QN=1', 'CP=&&&&', 'ST=32;CN=2011', 'x'.repeat(500)]) {
      expect([0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xc0, 0xc1]).toContain(crcHj212(b(s)) & 0xff);
    }
  });

  it('compares received hex case-insensitively', () => {
    const data = b('ST=32;CN=2011;PW=123456;MN=NJGDKYYC202101q0001w0001;CP=&&DataTime=20210305003817000;ele01-Rtd=1;ele02-Rtd=0&&');
    expect(checkCrc(data, '8c41', 'hj212')).toEqual({ ok: true, variant: 'hj212' });
    expect(checkCrc(data, '8C41', 'hj212')).toEqual({ ok: true, variant: 'hj212' });
  });

  it('refuses the DOMAIN.md negative vector (0136 frame with the old CRC 4980; correct is 3C00)', () => {
    const data = b('ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817;B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&');
    expect(data.length).toBe(136);
    expect(checkCrc(data, '4980', 'hj212')).toEqual({ ok: false, expected: '3C00' });
    expect(checkCrc(data, '3c00', 'hj212').ok).toBe(true);
  });

  it('accepts the Modbus-only vector in modbus and either mode, and refuses it in hj212 mode', () => {
    const data = b('QN=20170516010101001;ST=22;CN=1000;PW=123456;MN=ABCDEFG1234567;Flag=3;CP=&&OverTime=5;ReCount=3&&');
    // The frame from linqiu126/hcu: declared length 0097.
    expect(data.length).toBe(97);
    expect(checkCrc(data, '2D61', 'modbus')).toEqual({ ok: true, variant: 'modbus' });
    expect(checkCrc(data, '2d61', 'either')).toEqual({ ok: true, variant: 'modbus' });
    expect(checkCrc(data, '2D61', 'hj212')).toEqual({ ok: false, expected: 'F441' });
    expect(crcFor(data, 'hj212')).toBe('F441');
  });

  it('refuses a CRC field that is not 4 hex digits', () => {
    expect(checkCrc(b('CP=&&&&'), 'zz00', 'either').ok).toBe(false);
  });
});

describe('the corpus vectors (vectors.tsv)', () => {
  const vectors = readVectors();

  it('reads all 197 vectors', () => {
    expect(vectors.length).toBe(197);
  });

  it('computes both recorded CRCs for every data segment given without a frame', () => {
    const segments = vectors.filter((v) => v.kind === 'segment');
    expect(segments.length).toBeGreaterThan(50);
    for (const v of segments) {
      const data = unescapeVector(v.frame);
      expect(crcFor(data, 'hj212'), v.source).toBe(v.crcHj212.toUpperCase());
      expect(crcFor(data, 'modbus'), v.source).toBe(v.crcModbus.toUpperCase());
    }
  });

  /** Frames as the framer gives them, one per vector ending in CRLF. */
  function framed(v: (typeof vectors)[number]) {
    const f = new Framer(4096);
    const out = [...f.push(unescapeVector(v.frame)), ...f.end()];
    return out.filter((o) => o.type === 'frame').map((o) => (o.type === 'frame' ? o.frame : null)!);
  }

  it('frames and accepts every vector recorded as "len ok; HJ212 CRC ok; ends \\r\\n" in hj212 mode', () => {
    const good = vectors.filter((v) => v.kind === 'frame' && v.verdict === 'len ok; HJ212 CRC ok; ends \\r\\n');
    expect(good.length).toBe(32);
    for (const v of good) {
      const [fr] = framed(v);
      expect(fr, v.source).toBeDefined();
      expect(checkCrc(fr!.data, fr!.crc, 'hj212').ok, v.source).toBe(true);
    }
  });

  it('frames every Modbus vector and accepts it only in modbus or either mode', () => {
    const modbus = vectors.filter((v) => v.kind === 'frame' && v.verdict === 'len ok; MODBUS CRC ok; ends \\r\\n');
    expect(modbus.length).toBe(29);
    for (const v of modbus) {
      const [fr] = framed(v);
      expect(checkCrc(fr!.data, fr!.crc, 'modbus').ok, v.source).toBe(true);
      expect(checkCrc(fr!.data, fr!.crc, 'either').ok, v.source).toBe(true);
      expect(checkCrc(fr!.data, fr!.crc, 'hj212').ok, v.source).toBe(false);
    }
  });

  it('refuses every vector recorded with a failing CRC, in every mode', () => {
    const bad = vectors.filter((v) => v.kind === 'frame' && v.verdict.startsWith('len ok; CRC FAIL; ends \\r\\n'));
    expect(bad.length).toBe(8);
    for (const v of bad) {
      for (const fr of framed(v)) {
        expect(checkCrc(fr.data, fr.crc, 'either').ok, v.source).toBe(false);
      }
    }
  });

  it('gives no frame for vectors whose length field does not match their data', () => {
    const mismatched = vectors.filter((v) => v.kind === 'frame' && v.verdict.startsWith('LEN MISMATCH') && v.verdict.endsWith('ends \\r\\n'));
    expect(mismatched.length).toBe(6);
    for (const v of mismatched) expect(framed(v), v.source).toEqual([]);
  });
});
