// Real pictures for tests, made here: a JPEG from jpeg-js, a PNG and a WebP header by their specs.
import jpeg from 'jpeg-js';

/** A small real JPEG: a gradient whose colour depends on `seed`, so each seed hashes differently. */
export function makeJpeg(seed = 1, width = 32, height = 24): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 8 + seed * 37) & 0xff;
      data[i + 1] = (y * 10 + seed * 11) & 0xff;
      data[i + 2] = (seed * 53) & 0xff;
      data[i + 3] = 0xff;
    }
  }
  return jpeg.encode({ width, height, data }, 80).data;
}

/** The PNG signature and an IHDR chunk start: enough for magic-byte detection. */
export const PNG_HEAD = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('0000000d49484452', 'hex'), Buffer.alloc(13)]);

/** A RIFF/WEBP container header (RFC 9649) with a VP8L chunk tag. */
export const WEBP_HEAD = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x1a, 0, 0, 0]), Buffer.from('WEBPVP8L'), Buffer.alloc(14)]);

/** HTML dressed as a JPEG by its name only. */
export const NOT_A_PICTURE = Buffer.from('<html><script>alert(1)</script></html>');
