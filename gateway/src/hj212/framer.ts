// Stream framer for HJ 212 over TCP: `##` + 4-digit length + data segment + 4 hex CRC + CRLF.
// It is stateful across chunks and gives the same frames and refusals for any chunking of the
// same bytes. It never holds more than one maximal frame: garbage is dropped as it arrives
// and counted once per run, when the next header (or the end of the stream) closes the run.

export type FramerRefusal = 'bad_header' | 'bad_length' | 'too_large' | 'not_ascii';

export interface RawFrame {
  /** The whole frame, `##` to CRLF, exactly as received. */
  raw: Buffer;
  /** The data segment's bytes (what the CRC covers). */
  data: Buffer;
  /** The 4 characters in the CRC position, as received. */
  crc: string;
}

export type FramerOutput =
  | { type: 'frame'; frame: RawFrame }
  | { type: 'refused'; reason: FramerRefusal; detail: string; bytes: number };

const HASH = 0x23; // '#'
const LF = 0x0a;
const CR = 0x0d;
const HEAD = 6; // "##" + 4 digits
const TAIL = 6; // 4 hex + CRLF

const isDigit = (b: number) => b >= 0x30 && b <= 0x39;

export class Framer {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes dropped since the last frame or refusal, not yet reported. */
  private garbage = 0;
  /** The dropped run belongs to a refusal already reported (a frame over the limit). */
  private absorbing = false;

  constructor(private readonly maxData = 1024) {}

  /** Bytes held waiting for the rest of a frame (never more than one maximal frame). */
  pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): FramerOutput[] {
    const out: FramerOutput[] = [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (!this.atHeader()) break;
      const buf = this.buf;
      if (buf.length < HEAD) break;
      if (!(isDigit(buf[2]!) && isDigit(buf[3]!) && isDigit(buf[4]!) && isDigit(buf[5]!))) {
        // "##test..." probes and the like: part of the garbage run; look for the next "##".
        this.drop(1);
        continue;
      }
      this.flushGarbage(out);
      const length = Number(buf.toString('latin1', 2, HEAD));
      if (length > this.maxData) {
        out.push({ type: 'refused', reason: 'too_large', detail: `data segment of ${length} bytes is over the limit of ${this.maxData}`, bytes: HEAD });
        this.buf = buf.subarray(HEAD);
        this.absorbing = true;
        continue;
      }
      const total = HEAD + length + TAIL;
      // A line break or a new header before the frame's end means bytes were dropped: refuse
      // now rather than swallow the next frame while waiting for the declared length.
      const early = this.earlyBreak(buf, total);
      if (early !== -1) {
        const isLf = buf[early] === LF;
        const cut = isLf ? early + 1 : early;
        out.push({ type: 'refused', reason: 'bad_length', detail: `declared ${length} bytes of data, but a ${isLf ? 'line break' : 'new header'} came ${early - HEAD} bytes in`, bytes: cut });
        this.buf = buf.subarray(cut);
        continue;
      }
      if (buf.length < total) break;
      if (buf[total - 2] !== CR || buf[total - 1] !== LF) {
        out.push({ type: 'refused', reason: 'bad_length', detail: `declared ${length} bytes; no CRLF after the data segment and CRC`, bytes: HEAD });
        this.buf = buf.subarray(HEAD);
        this.absorbing = true;
        continue;
      }
      const raw = Buffer.from(buf.subarray(0, total));
      this.buf = buf.subarray(total);
      const data = raw.subarray(HEAD, HEAD + length);
      const bad = firstNonAscii(data);
      if (bad !== -1) {
        out.push({ type: 'refused', reason: 'not_ascii', detail: `byte 0x${data[bad]!.toString(16).padStart(2, '0')} at offset ${bad} of the data segment`, bytes: total });
        continue;
      }
      out.push({ type: 'frame', frame: { raw, data, crc: raw.toString('latin1', HEAD + length, HEAD + length + 4) } });
    }
    // Keep the held buffer compact so a slow trickle does not pin big chunks.
    if (this.buf.length > 0 && this.buf.byteOffset !== 0) this.buf = Buffer.from(this.buf);
    return out;
  }

  /** End of stream (or a timeout on a half-received frame): reports what is held and resets. */
  end(): FramerOutput[] {
    const out: FramerOutput[] = [];
    if (this.buf.length >= HEAD && this.buf[0] === HASH && this.buf[1] === HASH) {
      this.flushGarbage(out);
      out.push({ type: 'refused', reason: 'bad_length', detail: `stream ended inside a frame (${this.buf.length} bytes received)`, bytes: this.buf.length });
    } else {
      this.garbage += this.buf.length;
      this.flushGarbage(out);
    }
    this.buf = Buffer.alloc(0);
    this.absorbing = false;
    return out;
  }

  /** Drops bytes up to the next "##" (keeping a trailing "#"); true when the buffer starts with one. */
  private atHeader(): boolean {
    const buf = this.buf;
    if (buf.length >= 2 && buf[0] === HASH && buf[1] === HASH) return true;
    const at = buf.indexOf('##', 1, 'latin1');
    if (at !== -1) {
      this.drop(at);
      return true;
    }
    const keep = buf.length > 0 && buf[buf.length - 1] === HASH ? 1 : 0;
    this.drop(buf.length - keep);
    return false;
  }

  private drop(n: number) {
    if (n <= 0) return;
    this.garbage += n;
    this.buf = this.buf.subarray(n);
  }

  private flushGarbage(out: FramerOutput[]) {
    if (this.garbage > 0 && !this.absorbing) {
      out.push({ type: 'refused', reason: 'bad_header', detail: `${this.garbage} bytes outside any frame`, bytes: this.garbage });
    }
    this.garbage = 0;
    this.absorbing = false;
  }

  /** Index of a LF or a "##" inside the expected frame before its trailer, or -1. */
  private earlyBreak(buf: Buffer, total: number): number {
    const end = Math.min(buf.length, total - 1);
    for (let i = HEAD; i < end; i++) {
      const b = buf[i]!;
      if (b === LF) return i;
      if (b === HASH && i + 1 < buf.length && buf[i + 1] === HASH && i < total - 2) return i;
    }
    return -1;
  }
}

/** Data segments are printable ASCII (DOMAIN.md 1.2); control bytes such as NUL count too. */
function firstNonAscii(data: Buffer): number {
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b < 0x20 || b > 0x7e) return i;
  }
  return -1;
}
