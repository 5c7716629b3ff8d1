import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frame, Framer, type FramerOutput } from '../../../gateway/src/hj212/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const DATA = 'QN=20210301111100112;ST=32;CN=2011;PW=123456;MN=M1;Flag=5;CP=&&DataTime=20210301111100;w01018-Rtd=50.1,w01018-Flag=N&&';

function all(f: Framer, chunks: Buffer[]): FramerOutput[] {
  return [...chunks.flatMap((c) => f.push(c)), ...f.end()];
}
const summary = (out: FramerOutput[]) => out.map((o) => (o.type === 'frame' ? `frame:${o.frame.raw.toString('latin1')}` : `refused:${o.reason}`));

describe('Framer', () => {
  it('gives one frame with its data segment and CRC text', () => {
    const out = all(new Framer(), [b(frame(DATA))]);
    expect(out).toHaveLength(1);
    const f = out[0]!;
    expect(f.type === 'frame' && f.frame.data.toString('latin1')).toBe(DATA);
    expect(f.type === 'frame' && f.frame.crc).toMatch(/^[0-9A-F]{4}$/);
  });

  it('resynchronises on "##" after garbage and counts the garbage once', () => {
    expect(summary(all(new Framer(), [b('\x00\x01garbage' + frame(DATA))]))).toEqual(['refused:bad_header', `frame:${frame(DATA)}`]);
  });

  it('treats a "##test" probe and its binary tail as one garbage run', () => {
    expect(summary(all(new Framer(), [b('##test13912345678\x00\nm&\n\x00;VerSion=2.5&&9601\r\n' + frame(DATA))]))).toEqual(['refused:bad_header', `frame:${frame(DATA)}`]);
  });

  it('refuses a frame whose bytes were dropped and keeps the frame after it', () => {
    const whole = frame(DATA);
    const short = whole.slice(0, 40) + whole.slice(45);
    expect(summary(all(new Framer(), [b(short + whole)]))).toEqual(['refused:bad_length', `frame:${whole}`]);
  });

  it('refuses a frame that lost its CRLF without swallowing the next frame', () => {
    const whole = frame(DATA);
    const cut = whole.slice(0, -2 - 4 - 10);
    expect(summary(all(new Framer(), [b(cut + whole)]))).toEqual(['refused:bad_length', `frame:${whole}`]);
  });

  it('refuses a declared length over the limit without buffering the frame', () => {
    const f = new Framer(100);
    const out = f.push(b('##0900' + 'A'.repeat(600)));
    expect(out.map((o) => o.type === 'refused' && o.reason)).toEqual(['too_large']);
    expect(f.pending()).toBeLessThanOrEqual(1);
    expect(summary([...f.push(b('A'.repeat(300) + '\r\n' + frame('CN=9015;MN=M1;CP=&&&&'))), ...f.end()])).toEqual([`frame:${frame('CN=9015;MN=M1;CP=&&&&')}`]);
  });

  it('never holds more than one maximal frame, whatever arrives', () => {
    const f = new Framer(64);
    for (let i = 0; i < 200; i++) {
      f.push(b(i % 2 ? '##0060' + 'x'.repeat(50) : 'garbage without a header '));
      expect(f.pending()).toBeLessThanOrEqual(6 + 64 + 6);
    }
  });

  it('refuses a data segment with a NUL or non-ASCII byte as not_ascii', () => {
    const data = 'ST=\x00\x00;CN=2051;MN=M1;CP=&&&&';
    expect(summary(all(new Framer(), [b(frame(data))]))).toEqual(['refused:not_ascii']);
    const utf8 = Buffer.from('CN=2011;MN=测试;CP=&&&&', 'utf8');
    const raw = Buffer.concat([b(`##${String(utf8.length).padStart(4, '0')}`), utf8, b('0000\r\n')]);
    expect(summary(all(new Framer(), [raw]))).toEqual(['refused:not_ascii']);
  });

  it('reports a frame cut off by the end of the stream', () => {
    expect(summary(all(new Framer(), [b(frame(DATA).slice(0, 50))]))).toEqual(['refused:bad_length']);
  });

  it('refuses a frame with text between the data and an intact CRC', () => {
    const whole = frame(DATA);
    const withText = whole.slice(0, -6) + 'xyz' + whole.slice(-6);
    expect(summary(all(new Framer(), [b(withText + whole)]))).toEqual(['refused:bad_length', `frame:${whole}`]);
  });
});

// Streams of valid frames mixed with the faults real links produce.
const piece = fc.oneof(
  fc.constantFrom(frame(DATA), frame('CN=9015;MN=M1;CP=&&CON-RT=0&&'), frame('ST=91;CN=9014;MN=M1;Flag=4;CP=&&&&', 'modbus')),
  fc.constantFrom('\x00', '\r\n', '##', '#', '##test\x00', 'junk', '##0010abc', frame(DATA).slice(0, 30), frame(DATA).slice(10)),
  fc.string({ maxLength: 20 }).map((s) => s.replace(/[^\x00-\xff]/g, '?')),
);

describe('Framer over any chunking', () => {
  it('gives the same frames and refusals for any split of the same bytes', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), (pieces, sizes) => {
        const bytes = b(pieces.join(''));
        const whole = summary(all(new Framer(), [bytes]));
        const chunks: Buffer[] = [];
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const n = sizes[i % sizes.length]!;
          chunks.push(bytes.subarray(at, at + n));
          at += n;
        }
        expect(summary(all(new Framer(), chunks))).toEqual(whole);
        const oneByOne = [...bytes].map((x) => Buffer.from([x]));
        expect(summary(all(new Framer(), oneByOne))).toEqual(whole);
      }),
      { numRuns: 300, seed: 212 },
    );
  });

  it('finds every intact frame of a stream whatever garbage surrounds it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('', 'junk', '\x00\x00', '\r\n', '#'), fc.boolean()), { maxLength: 10 }), (parts) => {
        const stream = parts.map(([junk, good]) => junk + (good ? frame(DATA) : '')).join('');
        const frames = summary(all(new Framer(), [b(stream)])).filter((s) => s.startsWith('frame:'));
        expect(frames.length).toBe(parts.filter(([, good]) => good).length);
      }),
      { numRuns: 200, seed: 13 },
    );
  });
});
