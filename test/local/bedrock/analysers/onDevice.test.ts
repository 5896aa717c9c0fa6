import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOnDeviceAnalyser } from '../../../../local/bedrock/analysers/onDevice.ts';
import { REASON_PREFIX, SUMMARY_PREFIX } from '../../../../local/bedrock/analysers/onDeviceCompose.ts';
import {
  OnDeviceClosedError,
  OnDeviceImageError,
  OnDeviceLoadError,
} from '../../../../local/bedrock/analysers/onDeviceErrors.ts';
import type { Analyser, AnalyserInput } from '../../../../local/bedrock/analysers/types.ts';
import { ImageDescription, type NormalisedBox } from '../../../../shared/catalogue.ts';
import { ConfigError } from '../../../../shared/errors.ts';

const IMAGES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/images');
const PHOTOS = [
  'astronaut.png',
  'rocket.jpg',
  'grace_hopper.jpg',
  'text.png',
  'coffee.png',
  'chelsea.png',
  'camera.png',
  'hubble_deep_field.jpg',
];

async function inputOf(image: Buffer): Promise<AnalyserInput> {
  const m = await sharp(image).metadata();
  return { image, format: m.format as AnalyserInput['format'], width: m.width, height: m.height, prompt: 'Describe.' };
}

const fixture = async (name: string) => inputOf(await readFile(path.join(IMAGES, name)));

/** A document rendered by code (DejaVu Sans from fontconfig), so the words on it are known. */
async function documentImage(): Promise<AnalyserInput> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="300">
    <rect width="100%" height="100%" fill="white"/>
    <text x="40" y="110" font-family="DejaVu Sans, sans-serif" font-size="56">Quarterly invoice</text>
    <text x="40" y="200" font-family="DejaVu Sans, sans-serif" font-size="40" fill="#222">Harbour Street Bakery 2024</text>
  </svg>`;
  return inputOf(await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer());
}

const area = (b: NormalisedBox) => b.width * b.height;
const contains = (b: NormalisedBox, x: number, y: number) =>
  x >= b.left && x <= b.left + b.width && y >= b.top && y <= b.top + b.height;

function expectOnDevice(d: ImageDescription): void {
  expect(ImageDescription.safeParse(d).success).toBe(true);
  expect(d.summary.startsWith(SUMMARY_PREFIX)).toBe(true);
  expect(d.sensitive.reason.startsWith(REASON_PREFIX)).toBe(true);
  expect(d.summary).not.toMatch(/claude/i);
}

describe('on-device analyser (real models)', () => {
  let analyser: Analyser;
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  const results = new Map<string, ImageDescription>();

  beforeAll(async () => {
    analyser = createOnDeviceAnalyser();
    await analyser.init!();
    // One pass over the photos, shared by the tests below (start-up and each model run cost real time).
    for (const name of PHOTOS) results.set(name, await analyser.analyse(await fixture(name)));
  });

  afterAll(async () => {
    await analyser?.close?.();
    fetchSpy.mockRestore();
  });

  it('is named on-device', () => {
    expect(analyser.name).toBe('on-device');
  });

  it.each(PHOTOS)('answers %s with a valid entry marked on-device and low-confidence', (name) => {
    expectOnDevice(results.get(name)!);
  });

  it('finds the astronaut: a person box over most of the picture, around her body, with her face in it', () => {
    const d = results.get('astronaut.png')!;
    const person = d.labels.find((l) => l.name === 'person')!;
    const face = d.labels.find((l) => l.name === 'face')!;
    // She stands left of centre, the flag on the right: her box covers the left and middle, top to bottom.
    expect(area(person.box)).toBeGreaterThan(0.4);
    expect(contains(person.box, 0.4, 0.5)).toBe(true);
    expect(contains(person.box, 0.4, 0.9)).toBe(true);
    expect(person.box.left + person.box.width).toBeLessThan(0.9);
    // Her face: upper part of the image, inside the person box.
    expect(face.box.top + face.box.height).toBeLessThan(0.5);
    expect(contains(person.box, face.box.left + face.box.width / 2, face.box.top + face.box.height / 2)).toBe(true);
    expect(d.category).toBe('people');
    expect(d.summary).toContain('a person');
  });

  it('calls Grace Hopper sensitive because of her face, and says the on-device face detector found it', () => {
    const d = results.get('grace_hopper.jpg')!;
    expect(d.labels.map((l) => l.name)).toEqual(expect.arrayContaining(['person', 'face']));
    expect(d.sensitive.verdict).toBe('sensitive');
    expect(d.sensitive.reason).toMatch(/face detector found 1 face/);
    expect(d.sensitive.reason).toMatch(/nsfwjs scores porn 0\.\d\d/);
  });

  it('finds no faces where there are none: the cat, the coffee, the rocket, the galaxies', () => {
    for (const name of ['chelsea.png', 'coffee.png', 'rocket.jpg', 'hubble_deep_field.jpg']) {
      expect(results.get(name)!.labels.filter((l) => l.name === 'face')).toEqual([]);
      expect(results.get(name)!.sensitive.verdict).toBe('none');
    }
  });

  it('sorts animals and food by their classes even when the class itself is off', () => {
    // CenterNet calls Chelsea the cat a dog: the category is still right.
    expect(results.get('chelsea.png')!.category).toBe('animal');
    expect(results.get('coffee.png')!.labels.map((l) => l.name)).toContain('cup');
    expect(results.get('coffee.png')!.category).toBe('food');
  });

  it('keeps photo scraps out of the text: the handwritten formula of text.png and the rocket yield no words', () => {
    // text.png is handwritten mathematics, not print: sparse-text OCR reads only scraps, all below the bar.
    expect(results.get('text.png')!.text).toBe('');
    expect(results.get('rocket.jpg')!.text).toBe('');
  });

  it('reads printed words and calls the image a document', async () => {
    const d = await analyser.analyse(await documentImage());
    expectOnDevice(d);
    expect(d.text).toMatch(/Quarterly invoice/);
    expect(d.text).toMatch(/Harbour Street Bakery 2024/);
    expect(d.summary).toContain("text reads 'Quarterly invoice");
    expect(d.category).toBe('document');
  });

  it('gives the same answers to concurrent calls as to one at a time', async () => {
    const [a, b] = await Promise.all([
      analyser.analyse(await fixture('camera.png')),
      analyser.analyse(await fixture('astronaut.png')),
    ]);
    expect(a).toEqual(results.get('camera.png'));
    expect(b).toEqual(results.get('astronaut.png'));
  });

  it('takes the first frame of a GIF', async () => {
    const gif = await sharp(path.join(IMAGES, 'chelsea.png')).gif().toBuffer();
    const d = await analyser.analyse(await inputOf(gif));
    expectOnDevice(d);
    expect(d.category).toBe('animal');
  });

  it('refuses bytes that are no image with a typed, final error', async () => {
    const bad = { image: Buffer.from('not an image at all'), format: 'png', width: 1, height: 1, prompt: '' } as const;
    await expect(analyser.analyse(bad)).rejects.toBeInstanceOf(OnDeviceImageError);
    // And the analyser still works afterwards.
    expectOnDevice(await analyser.analyse(await fixture('coffee.png')));
  });

  it('fetched nothing over the network in this thread', () => {
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

describe('on-device analyser when engines are missing', () => {
  it('says which engine failed to load and why when every enabled engine fails', async () => {
    const a = createOnDeviceAnalyser({ engines: { vision: false, nsfw: false }, tessdataDir: '/nonexistent/tessdata' });
    const error = await a.init!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OnDeviceLoadError);
    expect((error as Error).message).toMatch(/text recognition \(tesseract\.js\).*\/nonexistent\/tessdata.*ENOENT/);
  });

  it('refuses language data that is not a traineddata file before tesseract sees it', async () => {
    // tesseract.js would crash the process on it (see loadOcr).
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tessdata-'));
    await writeFile(path.join(dir, 'eng.traineddata.gz'), gzipSync(Buffer.from('no traineddata here')));
    const a = createOnDeviceAnalyser({ engines: { vision: false, nsfw: false }, tessdataDir: dir });
    await expect(a.init!()).rejects.toThrow(/not a usable tesseract \.traineddata/);
    await rm(dir, { recursive: true });
  });

  it('goes on without a failed engine, and every answer says what was not checked', async () => {
    const a = createOnDeviceAnalyser({
      engines: { vision: false },
      tessdataDir: '/nonexistent/tessdata',
      logger: (await import('pino')).pino({ level: 'silent' }),
    });
    await a.init!();
    const d = await a.analyse(await fixture('coffee.png'));
    expectOnDevice(d);
    expect(d.summary).toMatch(/Not checked: text recognition \(tesseract\.js\) failed to load \(.*ENOENT\)/);
    expect(d.summary).toMatch(/object and face detection .* disabled/);
    expect(d.labels).toEqual([]);
    // Faces were not looked for, so the verdict errs on the side of caution.
    expect(d.sensitive.verdict).toBe('sensitive');
    expect(d.sensitive.reason).toMatch(/face detector unavailable/);
    await a.close!();
    await expect(a.analyse(await fixture('coffee.png'))).rejects.toBeInstanceOf(OnDeviceClosedError);
  });

  it('fails on all engines at once when told to require every engine', async () => {
    const a = createOnDeviceAnalyser({
      engines: { vision: false },
      tessdataDir: '/nonexistent/tessdata',
      requireAllEngines: true,
    });
    await expect(a.init!()).rejects.toBeInstanceOf(OnDeviceLoadError);
  });

  it('rejects invalid options with every problem at once', () => {
    expect(() => createOnDeviceAnalyser({ minObjectScore: 2, maxEdge: 3 })).toThrow(ConfigError);
    expect(() => createOnDeviceAnalyser({ minObjectScore: 2, maxEdge: 3 })).toThrow(/minObjectScore[\s\S]*maxEdge/);
  });
});
