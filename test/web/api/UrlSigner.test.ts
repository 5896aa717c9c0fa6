import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { UrlSigner } from '../../../web/api/UrlSigner.ts';

const KEYS = [
  'a.jpg',
  'thumbnails/0123abcd.webp',
  'albums/été 2024/a+b #1?.png',
  "odd!'()*~_-.name.JPG",
  'double  space/trailing/',
  '日本語/写真 1.jpg',
  'percent%20already.jpg',
  'x=y&z.png',
];

const CLIENTS = {
  'path style, local endpoint': () =>
    new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4566',
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  'virtual-hosted AWS, temporary credentials': () =>
    new S3Client({
      region: 'eu-west-3',
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/with+chars', sessionToken: 'token/+=abc' },
    }),
  'AWS, bucket with dots, checksum mode off': () =>
    new S3Client({
      region: 'us-west-2',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'k' },
    }),
};

const params = (url: string) => {
  const u = new URL(url);
  return { base: `${u.origin}${u.pathname}`, query: Object.fromEntries(u.searchParams) };
};

describe('UrlSigner', () => {
  it("signs the response headers exactly as the SDK's getSignedUrl does", async () => {
    for (const make of Object.values(CLIENTS)) {
      const s3 = make();
      const signer = new UrlSigner(s3, { ttlSeconds: 900 });
      const signingDate = new Date('2026-03-04T05:06:07Z');
      const headers = { contentType: 'image/jpeg', contentDisposition: 'inline; filename="display.jpg"' };
      for (const key of KEYS) {
        const ours = await signer.sign('image-derived', key, signingDate, headers);
        const sdk = await getSignedUrl(
          s3,
          new GetObjectCommand({
            Bucket: 'image-derived',
            Key: key,
            ResponseContentType: headers.contentType,
            ResponseContentDisposition: headers.contentDisposition,
          }),
          { expiresIn: 900, signingDate },
        );
        expect(params(ours), key).toEqual(params(sdk));
        expect(new URL(ours).searchParams.get('response-content-type')).toBe('image/jpeg');
      }
      s3.destroy();
    }
  });

  for (const [name, make] of Object.entries(CLIENTS)) {
    it(`signs exactly the URL the SDK's getSignedUrl makes (${name})`, async () => {
      const s3 = make();
      const bucket = name.includes('dots') ? 'my.photo.bucket' : 'image-thumbnails';
      const signer = new UrlSigner(s3, { ttlSeconds: 1800 });
      const signingDate = new Date('2026-03-04T05:06:07Z');
      for (const key of KEYS) {
        const ours = await signer.sign(bucket, key, signingDate);
        const sdk = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
          expiresIn: 1800,
          signingDate,
        });
        expect(params(ours), key).toEqual(params(sdk));
        expect(new URL(ours).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      }
      s3.destroy();
    });
  }

  it('gives the same URL within a signing window and a fresh one after it', async () => {
    let now = Date.parse('2026-03-04T05:00:00Z');
    const s3 = CLIENTS['path style, local endpoint']();
    const signer = new UrlSigner(s3, { ttlSeconds: 3600, now: () => now });
    const first = await signer.url('b', 'k.webp');
    now += 14 * 60_000;
    expect(await signer.url('b', 'k.webp')).toBe(first);
    now += 2 * 60_000;
    const later = await signer.url('b', 'k.webp');
    expect(later).not.toBe(first);
    expect(new URL(later).searchParams.get('X-Amz-Date')).toBe('20260304T051500Z');
    s3.destroy();
  });
});
