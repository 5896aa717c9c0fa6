import { describe, expect, it } from 'vitest';
import {
  createSequencer,
  encodeS3EventKey,
  makeS3EventMessage,
  makeS3EventRecord,
  makeS3TestEvent,
} from '../../local/s3Events.ts';
import { decodeS3EventKey } from '../../shared/messages.ts';

describe('encodeS3EventKey', () => {
  it.each([
    ['HappyFace.jpg', 'HappyFace.jpg'],
    ['red flower.jpg', 'red+flower.jpg'],
    ['c++ notes.png', 'c%2B%2B+notes.png'],
    ['100% real.jpg', '100%25+real.jpg'],
    ['photos/2024/été.jpg', 'photos/2024/%C3%A9t%C3%A9.jpg'],
    ['Screenshot (1).png', 'Screenshot+%281%29.png'],
    ['dt=2018-05-04/_SUCCESS', 'dt%3D2018-05-04/_SUCCESS'],
    ['protected/us-east-1:f123/a.jpeg', 'protected/us-east-1%3Af123/a.jpeg'],
    ['a*b-c_d.e~f', 'a*b-c_d.e%7Ef'],
    ['雪.webp', '%E9%9B%AA.webp'],
    ['😀.gif', '%F0%9F%98%80.gif'],
  ])('%s → %s', (key, encoded) => {
    expect(encodeS3EventKey(key)).toBe(encoded);
    expect(decodeS3EventKey(encoded)).toBe(key);
  });
});

describe('makeS3EventRecord', () => {
  const time = new Date('2024-05-06T07:08:09.123Z');

  it('builds an ObjectCreated record in the AWS shape', () => {
    const record = makeS3EventRecord({
      eventName: 'ObjectCreated:Put',
      bucket: 'images',
      key: 'a b.jpg',
      size: 1024,
      eTag: '"d41d8cd98f00b204e9800998ecf8427e"',
      sequencer: '0055aed6dcd90281e5',
      eventTime: time,
    });
    expect(record).toEqual({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2024-05-06T07:08:09.123Z',
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: expect.any(String) },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: {
        'x-amz-request-id': expect.stringMatching(/^[0-9A-F]{16}$/),
        'x-amz-id-2': expect.stringMatching(/^[A-Za-z0-9+/=]{40,}$/),
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'image-catalogue-local',
        bucket: { name: 'images', ownerIdentity: { principalId: expect.any(String) }, arn: 'arn:aws:s3:::images' },
        object: {
          key: 'a+b.jpg',
          size: 1024,
          eTag: 'd41d8cd98f00b204e9800998ecf8427e',
          sequencer: '0055AED6DCD90281E5',
        },
      },
    });
    // S3's order of the object's fields.
    expect(Object.keys(record.s3.object)).toEqual(['key', 'size', 'eTag', 'sequencer']);
  });

  it('gives a removed record no size and no eTag, and keeps a versionId', () => {
    const record = makeS3EventRecord({
      eventName: 'ObjectRemoved:Delete',
      bucket: 'images',
      key: 'x.jpg',
      sequencer: '0A',
      versionId: 'v1',
      size: 5,
      eTag: 'abc',
    });
    expect(record.s3.object).toEqual({ key: 'x.jpg', versionId: 'v1', sequencer: '0A' });
  });

  it('is deterministic for equal input, and refuses what S3 would never send', () => {
    const input = {
      eventName: 'ObjectRemoved:Delete' as const,
      bucket: 'b-1',
      key: 'k',
      sequencer: '01',
      eventTime: time,
    };
    expect(makeS3EventRecord(input)).toEqual(makeS3EventRecord(input));
    expect(() => makeS3EventRecord({ ...input, sequencer: 'xyz' })).toThrow(RangeError);
    expect(() => makeS3EventRecord({ ...input, eventName: 'ObjectCreated:Put' })).toThrow(/size and eTag/);
  });

  it('wraps records in a Records message, and makes the s3:TestEvent', () => {
    const record = makeS3EventRecord({
      eventName: 'ObjectRemoved:Delete',
      bucket: 'images',
      key: 'k',
      sequencer: '01',
    });
    expect(JSON.parse(makeS3EventMessage([record, record]))).toEqual({ Records: [record, record] });
    expect(JSON.parse(makeS3TestEvent('images', time))).toEqual({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2024-05-06T07:08:09.123Z',
      Bucket: 'images',
      RequestId: expect.stringMatching(/^[0-9A-F]{16}$/),
      HostId: expect.any(String),
    });
  });
});

describe('createSequencer', () => {
  it('gives 18 uppercase hex digits, always increasing, also within one millisecond and when the clock stalls', () => {
    let now = 1_700_000_000_000;
    const next = createSequencer(() => now);
    const values = [next(), next(), next()];
    now += 1;
    values.push(next());
    now -= 5;
    values.push(next());
    for (const v of values) expect(v).toMatch(/^[0-9A-F]{18}$/);
    expect([...values].sort()).toEqual(values);
    expect(new Set(values).size).toBe(values.length);
  });

  it('continues above the values of an earlier run (a restart), as they are based on time', () => {
    const first = createSequencer(() => 1_700_000_000_000);
    const before = [first(), first()];
    const second = createSequencer(() => 1_700_000_000_001);
    expect(second() > before[1]!).toBe(true);
  });
});
