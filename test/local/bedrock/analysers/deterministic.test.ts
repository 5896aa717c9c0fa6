import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DeterministicAnalyser } from '../../../../local/bedrock/analysers/deterministic.ts';
import { BedrockError } from '../../../../local/bedrock/errors.ts';
import { descriptionJsonSchema, ImageDescription } from '../../../../shared/catalogue.ts';
import { fixture } from '../helpers.ts';

const analyser = new DeterministicAnalyser();
const input = (image: Buffer, width: number, height: number, format: 'jpeg' | 'png' = 'jpeg') => ({
  image,
  format,
  width,
  height,
  prompt: 'Catalogue this image.',
});

describe('DeterministicAnalyser', () => {
  it('describes pixel facts honestly, as a valid ImageDescription', async () => {
    const d = await analyser.analyse(input(fixture('rocket.jpg'), 640, 427));

    expect(ImageDescription.parse(d)).toEqual(d);
    expect(d.summary).toMatch(/^A dark, mostly blue 640×427 image \(deterministic stand-in analysis: pixel statistics/);
    expect(d.sensitive).toEqual({ verdict: 'none', reason: expect.stringContaining('Not assessed') });
    expect(d.text).toBe('');
  });

  it('gives the same answer for the same bytes', async () => {
    const image = fixture('coffee.png');

    const answers = await Promise.all([1, 2, 3].map(() => analyser.analyse(input(image, 600, 400, 'png'))));

    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('boxes the highest-contrast quadrant, and the whole image when it is flat', async () => {
    const flat = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    // A 10-pixel checkerboard in the bottom-right quarter only.
    const checker = Buffer.alloc(100 * 50 * 3);
    for (let i = 0; i < 100 * 50; i++) {
      const dark = (Math.floor((i % 100) / 10) + Math.floor(i / 1000)) % 2 === 0;
      checker.fill(dark ? 0 : 255, i * 3, i * 3 + 3);
    }
    const bottomRight = await sharp(flat)
      .composite([{ input: checker, raw: { width: 100, height: 50, channels: 3 }, left: 100, top: 50 }])
      .png()
      .toBuffer();

    const plain = await analyser.analyse(input(flat, 200, 100, 'png'));
    const quadrant = await analyser.analyse(input(bottomRight, 200, 100, 'png'));

    expect(plain.labels).toEqual([{ name: 'region', box: { left: 0, top: 0, width: 1, height: 1 } }]);
    expect(plain.summary).toContain('mostly white');
    expect(plain.category).toBe('graphic');
    expect(quadrant.labels).toEqual([{ name: 'region', box: { left: 0.5, top: 0.5, width: 0.5, height: 0.5 } }]);
  });

  it('keeps to the category list of the tool schema', async () => {
    const schema = descriptionJsonSchema(['animal', 'other']);

    const d = await analyser.analyse({
      ...input(fixture('rocket.jpg'), 640, 427),
      tool: { name: 't', inputSchema: schema },
    });

    expect(d.category).toBe('other');
  });

  it('refuses bytes it cannot decode with a ValidationException', async () => {
    const jpeg = fixture('rocket.jpg');

    const error = await analyser.analyse(input(jpeg.subarray(0, 2000), 640, 427)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BedrockError);
    expect((error as BedrockError).status).toBe(400);
  });
});
