import sharp from 'sharp';

/**
 * A small distinct PNG for content number `n`: a gradient and a block pattern drawn from `n`, so no two contents
 * share bytes and each is a real image for the worker to prepare.
 */
export async function contentImage(n: number): Promise<Buffer> {
  const width = 96;
  const height = 64;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const block = ((x >> 3) * 7 + (y >> 3) * 13 + n) % 17;
      pixels[i] = (n * 37 + x * 2) & 0xff;
      pixels[i + 1] = (n * 91 + y * 3 + block * 9) & 0xff;
      pixels[i + 2] = ((n >> 8) * 53 + block * 15) & 0xff;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
