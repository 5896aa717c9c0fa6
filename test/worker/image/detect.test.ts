import { describe, expect, it } from 'vitest';
import { makeAvif, makeBmp, makeMultiPageTiff, makeWebp } from '../../../local/fixtures/oddImages.ts';
import { sniff } from '../../../worker/image/detect.ts';
import { fixture } from './helpers.ts';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('sniff', () => {
  it.each([
    ['rocket.jpg', 'jpeg'],
    ['coffee.png', 'png'],
    ['chelsea.gif', 'gif'],
    ['coffee.tif', 'tiff'],
    ['chelsea.heic', 'heic'],
  ])('reads %s as %s from its bytes', (file, format) => {
    expect(sniff(fixture(file))).toEqual({ kind: 'image', format });
  });

  it('recognises generated WebP, AVIF, multi-page TIFF and BMP', async () => {
    expect(sniff(await makeWebp())).toEqual({ kind: 'image', format: 'webp' });
    expect(sniff(await makeAvif())).toEqual({ kind: 'image', format: 'avif' });
    expect(sniff(await makeMultiPageTiff())).toEqual({ kind: 'image', format: 'tiff' });
    expect(sniff(makeBmp())).toEqual({ kind: 'image', format: 'bmp' });
  });

  it('recognises big-endian TIFF and BigTIFF', () => {
    expect(sniff(bytes('MM\0*\0\0\0\x08'))).toEqual({ kind: 'image', format: 'tiff' });
    expect(sniff(bytes('II+\0\x08\0\0\0'))).toEqual({ kind: 'image', format: 'tiff' });
  });

  it('does not take text starting with "BM" for a bitmap', () => {
    expect(sniff(bytes('BMW owners club newsletter, issue 12'))).toEqual({
      kind: 'not-image',
      looksLike: 'plain text',
    });
  });

  it('tells an MP4 video from a HEIF image by its ftyp brands', () => {
    const ftyp = (major: string, ...compatible: string[]) => {
      const box = bytes(`\0\0\0\0ftyp${major}\0\0\0\0${compatible.join('')}`);
      box.writeUInt32BE(box.length, 0);
      return box;
    };
    expect(sniff(ftyp('isom', 'isom', 'mp41'))).toMatchObject({
      kind: 'not-image',
      looksLike: expect.stringMatching(/MP4/),
    });
    expect(sniff(ftyp('mif1', 'mif1', 'heic'))).toEqual({ kind: 'image', format: 'heic' });
    expect(sniff(ftyp('mif1', 'mif1', 'avif'))).toEqual({ kind: 'image', format: 'avif' });
  });

  it.each([
    ['%PDF-1.4', 'a PDF document'],
    ['GIF90a', 'plain text'],
    ['\x1f\x8b\x08\x00', 'a gzip archive'],
    ['\x7fELF\x02\x01', 'an ELF executable'],
    ['RIFF\x24\x00\x00\x00WAVEfmt ', 'a WAVE audio file'],
    ['<?xml version="1.0"?><catalog/>', 'an XML document'],
    ['  <html><head>', 'an HTML page'],
    ['[1, 2, 3]', 'JSON text'],
    ['caf\xc3\xa9 au lait', 'plain text'],
  ])('says %j looks like %s', (content, looksLike) => {
    expect(sniff(bytes(content))).toEqual({ kind: 'not-image', looksLike });
  });

  it('names image formats it does not decode', () => {
    expect(sniff(bytes('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toMatchObject({
      kind: 'unsupported-image',
      format: 'svg',
    });
    expect(sniff(Buffer.from([0xff, 0x4f, 0xff, 0x51, 0, 0]))).toMatchObject({
      kind: 'unsupported-image',
      format: 'jp2',
    });
    expect(sniff(Buffer.from([0xff, 0x0a, 0xfa, 0x7f]))).toMatchObject({ kind: 'unsupported-image', format: 'jxl' });
  });
});
