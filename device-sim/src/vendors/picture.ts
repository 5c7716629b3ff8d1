import jpeg from 'jpeg-js';

/**
 * A generated camera picture (jpeg-js, pure JS): a grey scene with a coloured block where the
 * "object" is, so the console's detection box can be seen to sit on it. Deterministic per seed.
 */
export function scenePicture(opts: { width?: number; height?: number; box: [number, number, number, number]; seed: number }): Buffer {
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const [bx, by, bw, bh] = opts.box;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inBox = x >= bx && x < bx + bw && y >= by && y < by + bh;
      // Floor and wall, a little texture from the seed so pictures differ (and hash differently).
      const base = y > height * 0.6 ? 110 : 170;
      const noise = ((x * 31 + y * 17 + opts.seed * 7) % 13) - 6;
      data[i] = inBox ? 200 : base + noise;
      data[i + 1] = inBox ? 60 + (opts.seed % 40) : base + noise;
      data[i + 2] = inBox ? 40 : base + 10 + noise;
      data[i + 3] = 255;
    }
  }
  return jpeg.encode({ width, height, data }, 75).data;
}
