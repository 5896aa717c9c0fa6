import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../shared/errors.ts';
import { decodeS3EventKey, makeBackfillMessage, normaliseETag, parseQueueMessage } from '../../shared/messages.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');

function s3Record(key: string, over: Record<string, unknown> = {}) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: 'b' }, object: { key, size: 10, eTag: 'abc', sequencer: '0A' } },
    ...over,
  };
}

describe('parseQueueMessage', () => {
  it('reads the sample event of the AWS documentation', () => {
    const parsed = parseQueueMessage(fixture('s3-put-aws-docs.json'));
    expect(parsed).toEqual({
      kind: 'events',
      invalid: [],
      events: [
        {
          kind: 'created',
          bucket: 'amzn-s3-demo-bucket',
          key: 'HappyFace.jpg',
          eTag: 'd41d8cd98f00b204e9800998ecf8427e',
          size: 1024,
          versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
          sequencer: '0055AED6DCD90281E5',
          eventTime: '1970-01-01T00:00:00.000Z',
          eventName: 'ObjectCreated:Put',
          source: 's3',
        },
      ],
    });
  });

  it('acknowledges s3:TestEvent', () => {
    expect(parseQueueMessage(fixture('s3-test-event.json'))).toEqual({ kind: 'test' });
  });

  it('reads several records, created and removed, in order', () => {
    const body = JSON.stringify({
      Records: [
        s3Record('a.jpg'),
        s3Record('b.jpg', {
          eventName: 'ObjectRemoved:Delete',
          s3: { bucket: { name: 'b' }, object: { key: 'b.jpg', sequencer: '0B' } },
        }),
      ],
    });
    const parsed = parseQueueMessage(body);
    if (parsed.kind !== 'events') throw new Error('expected events');
    expect(parsed.events.map((e) => [e.kind, e.key, e.sequencer])).toEqual([
      ['created', 'a.jpg', '0A'],
      ['removed', 'b.jpg', '0B'],
    ]);
  });

  it.each([
    ['my+photo%2B1%25.jpg', 'my photo+1%.jpg'],
    ['caf%C3%A9/%E6%97%A5%E6%9C%AC+%F0%9F%93%B7.png', 'café/日本 📷.png'],
    ['a%2Fb/c%3Fd%23e%26f%3Dg.webp', 'a/b/c?d#e&f=g.webp'],
    ['plain.jpg', 'plain.jpg'],
  ])('URL-decodes the key %s', (encoded, decoded) => {
    expect(decodeS3EventKey(encoded)).toBe(decoded);
    const parsed = parseQueueMessage(JSON.stringify({ Records: [s3Record(encoded)] }));
    expect(parsed.kind === 'events' && parsed.events[0]?.key).toBe(decoded);
  });

  it('unwraps an SNS notification', () => {
    const inner = fixture('s3-put-aws-docs.json');
    const body = JSON.stringify({
      Type: 'Notification',
      MessageId: 'm',
      TopicArn: 'arn:aws:sns:x:1:t',
      Message: inner,
    });
    const parsed = parseQueueMessage(body);
    expect(parsed.kind === 'events' && parsed.events[0]).toMatchObject({ key: 'HappyFace.jpg', source: 'sns' });
  });

  it('reads EventBridge Object Created and Object Deleted (keys not URL-encoded)', () => {
    const created = parseQueueMessage(fixture('eventbridge-object-created.json'));
    expect(created.kind === 'events' && created.events[0]).toMatchObject({
      kind: 'created',
      key: 'example key+1.jpg',
      eTag: 'b1946ac92492d2347c6235b4d2611184',
      sequencer: '617F08299329D189',
      source: 'eventbridge',
    });
    const deleted = parseQueueMessage(fixture('eventbridge-object-deleted.json'));
    expect(deleted.kind === 'events' && deleted.events[0]).toMatchObject({ kind: 'removed', key: 'example-key' });
  });

  it('reads the backfill message it makes', () => {
    const body = makeBackfillMessage({ bucket: 'photos', key: 'a b+c.jpg', eTag: '"abc"', size: 5, reprocess: true });
    const parsed = parseQueueMessage(body);
    expect(parsed.kind === 'events' && parsed.events[0]).toMatchObject({
      kind: 'created',
      key: 'a b+c.jpg',
      eTag: 'abc',
      source: 'backfill',
      reprocess: true,
    });
  });

  it('keeps the valid records of a message and reports the invalid ones', () => {
    const body = JSON.stringify({ Records: [s3Record('ok.jpg'), { eventSource: 'aws:s3' }, s3Record('%E0%A4%A.jpg')] });
    const parsed = parseQueueMessage(body);
    if (parsed.kind !== 'events') throw new Error('expected events');
    expect(parsed.events.map((e) => e.key)).toEqual(['ok.jpg']);
    expect(parsed.invalid.map((i) => i.index)).toEqual([1, 2]);
    expect(parsed.invalid[1]?.reason).toMatch(/URL encoding/);
  });

  it.each([
    ['', /empty/],
    ['not json', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"hello":"world"}', /unknown message shape/],
    ['{"Records":[]}', /no Records/],
    ['{"Records":[{"eventSource":"aws:sqs"}]}', /no usable S3 record/],
    ['{"Type":"Notification","Message":"{oops"}', /SNS notification Message is not JSON/],
    ['{"type":"image-catalogue.backfill","version":2,"bucket":"b","key":"k"}', /malformed backfill message/],
    [JSON.stringify({ Records: [s3Record('a.jpg', { eventName: 'ObjectArchived:Put' })] }), /not one the catalogue/],
    [JSON.stringify({ Records: [s3Record('a.jpg', { eventName: 'ReducedRedundancyLostObject' })] }), /data is lost/],
    [
      JSON.stringify({
        Records: [
          s3Record('a.jpg', {
            s3: { bucket: { name: 'b' }, object: { key: 'a.jpg', eTag: 'e', sequencer: 'Happy Sequencer' } },
          }),
        ],
      }),
      /not an S3 sequencer/,
    ],
    [
      JSON.stringify({
        Records: [
          s3Record('a.jpg', {
            s3: { bucket: { name: 'b' }, object: { key: 'a.jpg', eTag: 'e', sequencer: 'A'.repeat(41) } },
          }),
        ],
      }),
      /at most 40 digits/,
    ],
    [JSON.stringify({ Records: [s3Record('a.jpg', { eventVersion: '1.0' })] }), /eventVersion/],
  ])('rejects %j as poison with a clear reason', (body, reason) => {
    expect(() => parseQueueMessage(body)).toThrow(PoisonMessageError);
    expect(() => parseQueueMessage(body)).toThrow(reason);
  });

  it('carries every field of an S3 record: version, size, sequencer in upper case, time, event name', () => {
    const record = s3Record('a.jpg', { eventTime: '2026-01-02T03:04:05.000Z', eventName: 'ObjectCreated:Copy' });
    record.s3.object = { key: 'a.jpg', size: 10, eTag: '"abc"', sequencer: '0a1b', versionId: 'v1' } as never;
    const parsed = parseQueueMessage(JSON.stringify({ Records: [record] }));
    expect(parsed.kind === 'events' && parsed.events[0]).toEqual({
      kind: 'created',
      bucket: 'b',
      key: 'a.jpg',
      eTag: 'abc',
      size: 10,
      versionId: 'v1',
      sequencer: '0A1B',
      eventTime: '2026-01-02T03:04:05.000Z',
      eventName: 'ObjectCreated:Copy',
      source: 's3',
    });
  });

  it('a created record needs its eTag; a removed one does not', () => {
    const created = s3Record('a.jpg');
    created.s3.object = { key: 'a.jpg', size: 1 } as never;
    const removed = s3Record('b.jpg', { eventName: 'ObjectRemoved:Delete' });
    removed.s3.object = { key: 'b.jpg', sequencer: '0B' } as never;
    const parsed = parseQueueMessage(JSON.stringify({ Records: [created, removed] }));
    if (parsed.kind !== 'events') throw new Error('expected events');
    expect(parsed.events.map((e) => [e.key, e.kind, e.eTag])).toEqual([['b.jpg', 'removed', undefined]]);
    expect(parsed.invalid).toEqual([{ index: 0, reason: 's3.object.eTag is required for ObjectCreated events' }]);
  });

  it('names the reason of an EventBridge removal in its event name, and keeps its version and time', () => {
    const deleted = parseQueueMessage(fixture('eventbridge-object-deleted.json'));
    expect(deleted.kind === 'events' && deleted.events[0]).toMatchObject({
      eventName: 'Object Deleted:DeleteObject',
      versionId: '1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF',
      sequencer: '617F0837B476E463',
      eventTime: '2021-11-12T00:00:00Z',
      eTag: undefined,
      bucket: 'amzn-s3-demo-bucket1',
    });
  });

  it('strips quotes and the weak prefix from an ETag', () => {
    expect(normaliseETag('W/"abc"')).toBe('abc');
    expect(normaliseETag('"abc"')).toBe('abc');
    expect(normaliseETag('abc')).toBe('abc');
  });

  it.each([
    ['an SNS envelope without Message', { Type: 'Notification' }, /malformed SNS notification/],
    [
      'an SNS notification inside another',
      { Type: 'Notification', Message: JSON.stringify({ Type: 'Notification', Message: '{}' }) },
      /unknown message shape/,
    ],
    [
      'an EventBridge event without a key',
      { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'b' }, object: {} } },
      /malformed EventBridge S3 event/,
    ],
    [
      'an EventBridge Object Created without an etag',
      { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'b' }, object: { key: 'k' } } },
      /no detail.object.etag/,
    ],
    [
      'a backfill message for a bucket name too short',
      { type: 'image-catalogue.backfill', version: 1, bucket: 'ab', key: 'k', eTag: 'e', size: 1 },
      /malformed backfill message/,
    ],
    [
      'a backfill message with a negative size',
      { type: 'image-catalogue.backfill', version: 1, bucket: 'abc', key: 'k', eTag: 'e', size: -1 },
      /malformed backfill message/,
    ],
    [
      'a backfill message with an empty eTag',
      { type: 'image-catalogue.backfill', version: 1, bucket: 'abc', key: 'k', eTag: '', size: 1 },
      /malformed backfill message/,
    ],
    ['a blank body', '   ', /empty/],
  ])('rejects %s as poison', (_what, body, reason) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    expect(() => parseQueueMessage(text)).toThrow(reason);
  });

  it('accepts a backfill message at the limits of its fields, and refuses past them', () => {
    const at = { bucket: 'b'.repeat(63), key: 'k'.repeat(1024), eTag: 'e', size: 0 };
    expect(parseQueueMessage(makeBackfillMessage(at)).kind).toBe('events');
    expect(() => makeBackfillMessage({ ...at, bucket: 'b'.repeat(64) })).toThrow();
    expect(() => makeBackfillMessage({ ...at, key: 'k'.repeat(1025) })).toThrow();
    expect(() => makeBackfillMessage({ ...at, size: 1.5 })).toThrow();
    expect(() => makeBackfillMessage({ ...at, key: '' })).toThrow();
  });
});
