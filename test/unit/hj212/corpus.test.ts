import { describe, expect, it } from 'vitest';
import { decodeData, Framer, parseCp, valuesOf } from '../../../gateway/src/hj212/index.js';
import { captureFiles, readCapture } from '../../helpers/hj212-corpus.js';

// The whole real capture (190,463 lines, 21 files) through the framer and decoder, as a
// logger's bytes would arrive: every line is a frame or a refusal with a reason.
describe('the real capture through the codec', () => {
  it('accepts every intact frame and refuses the damaged ones with a reason', { timeout: 120_000 }, () => {
    const outcomes: Record<string, number> = {};
    let lines = 0;
    let values = 0;
    let invalid = 0;
    const files = captureFiles();
    expect(files).toHaveLength(21);
    for (const file of files) {
      const bytes = readCapture(file);
      for (const b of bytes) if (b === 0x0a) lines++;
      const framer = new Framer();
      for (const o of [...framer.push(bytes), ...framer.end()]) {
        if (o.type === 'refused') {
          outcomes[o.reason] = (outcomes[o.reason] ?? 0) + 1;
          continue;
        }
        const d = decodeData(o.frame.data, o.frame.crc, 'hj212');
        const key = d.ok ? 'accepted' : d.reason;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        if (d.ok) {
          for (const v of valuesOf(parseCp(d.packet.cp))) {
            values++;
            if (!v.valid) invalid++;
          }
        }
      }
    }
    expect(lines).toBe(190_463);
    // DOMAIN.md 1.9: 190,366 lines pass the HJ CRC. 30 of those carry NUL bytes (not_ascii) and
    // one has a length field that does not match its data (bad_length); the rest are accepted.
    expect(outcomes).toEqual({ accepted: 190_335, not_ascii: 30, bad_length: 71, bad_header: 14, bad_crc: 1 });
    expect(values).toBeGreaterThan(1_800_000);
    // D, M, F, T, C flags (DOMAIN.md: ~25k) are stored as invalid values.
    expect(invalid).toBeGreaterThan(20_000);
  });
});
