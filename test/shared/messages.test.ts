import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../shared/errors.ts';
import { decodeS3EventKey, makeBackfillMessage, parseQueueMessage } from '../../shared/messages.ts';

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
});
