import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { loadConfig } from '../../shared/config.ts';
// The worker's own decoder: the bridge's keys must round-trip through it.
import { decodeS3EventKey } from '../../shared/messages.ts';
import { catalogueCreateTableInput } from '../../shared/table.ts';
import { receive, recordOf } from './helpers.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ bedrock: false });
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(async () => {
  stack.bridge.resume();
  await stack.bridge.idle();
  for (const QueueUrl of [stack.queueUrl, stack.dlqUrl])
    await stack.clients.sqs.send(new PurgeQueueCommand({ QueueUrl }));
});

const put = (Key: string, Body: string | Buffer, Bucket = stack.bucket) =>
  stack.clients.s3.send(new PutObjectCommand({ Bucket, Key, Body }));

describe('startLocalStack', () => {
  it('points shared/config.ts at itself through env', () => {
    const config = loadConfig(stack.env);
    expect(config.endpoints).toEqual(stack.endpoints);
    expect(config).toMatchObject({
      region: 'us-east-1',
      queueUrl: stack.queueUrl,
      dlqUrl: stack.dlqUrl,
      tableName: 'image-catalogue',
      thumbnails: { bucket: 'image-thumbnails' },
    });
    expect(stack.env).toMatchObject({ AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    expect(stack.endpoints.s3).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.queueUrl).toBe(`${stack.endpoints.sqs}/000000000000/image-events`);
  });

  it('makes the queue as the infra does: 256 KB messages, redrive to the DLQ after maxReceiveCount', async () => {
    const { Attributes } = await stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack.queueUrl, AttributeNames: ['All'] }),
    );
    expect(Attributes?.MaximumMessageSize).toBe('262144');
    expect(Attributes?.VisibilityTimeout).toBe('30');
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:image-events-dlq',
      maxReceiveCount: '10',
    });
  });

  it('makes the catalogue table from shared/table.ts, ACTIVE, with its indexes', async () => {
    const { Table } = await stack.clients.dynamodb.send(new DescribeTableCommand({ TableName: stack.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    const expected = catalogueCreateTableInput(stack.tableName)
      .GlobalSecondaryIndexes.map((i) => i.IndexName)
      .sort();
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(expected);
    expect(expected).toEqual(['byCategory', 'byContent', 'byStatus']);
    const doc = stack.clients.ddbDoc;
    const item = { id: 'images/a.jpg', status: 'catalogued', updatedAt: '2024-01-01T00:00:00Z', note: undefined };
    await doc.send(new PutCommand({ TableName: stack.tableName, Item: item }));
    const got = await doc.send(new GetCommand({ TableName: stack.tableName, Key: { id: 'images/a.jpg' } }));
    expect(got.Item).toEqual({ id: 'images/a.jpg', status: 'catalogued', updatedAt: '2024-01-01T00:00:00Z' });
    const byStatus = await doc.send(
      new QueryCommand({
        TableName: stack.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'catalogued' },
      }),
    );
    expect(byStatus.Items?.map((i) => i.id)).toEqual(['images/a.jpg']);
  });
});

describe('S3 event notifications', () => {
  const key = 'albums/summer 2024/c++ 100% été.jpg';

  it('sends an ObjectCreated:Put in the AWS shape, key URL-encoded the way S3 does it', async () => {
    const { ETag } = await put(key, 'first');
    const [message] = await receive(stack.clients.sqs, stack.queueUrl, 1);
    const record = recordOf(message?.Body);
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: 'images', arn: 'arn:aws:s3:::images' },
        object: {
          key: 'albums/summer+2024/c%2B%2B+100%25+%C3%A9t%C3%A9.jpg',
          size: 5,
          eTag: ETag?.replaceAll('"', ''),
        },
      },
    });
    expect(record.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(record.responseElements['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(decodeS3EventKey(record.s3.object.key)).toBe(key);
    expect(stack.bridge.sent).toBeGreaterThanOrEqual(1);
  });

  it('gives an overwrite a greater sequencer and the new eTag, and a delete a removed record', async () => {
    await put(key, 'one');
    const second = await put(key, 'two, longer');
    await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: key }));
    const records = (await receive(stack.clients.sqs, stack.queueUrl, 3)).map((m) => recordOf(m.Body));
    records.sort((a, b) => a.s3.object.sequencer.localeCompare(b.s3.object.sequencer));
    expect(records.map((r) => r.eventName)).toEqual(['ObjectCreated:Put', 'ObjectCreated:Put', 'ObjectRemoved:Delete']);
    const [, overwrite, removed] = records;
    expect(overwrite?.s3.object).toMatchObject({ size: 11, eTag: second.ETag?.replaceAll('"', '') });
    expect(removed?.s3.object).toEqual({ key: records[0]?.s3.object.key, sequencer: removed?.s3.object.sequencer });
    expect(new Set(records.map((r) => r.s3.object.sequencer)).size).toBe(3);
  });

  it('orders concurrent writes to one key: the greatest sequencer carries the eTag the object ends with', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => put('race.jpg', `version ${i}`)));
    const records = (await receive(stack.clients.sqs, stack.queueUrl, 20)).map((m) => recordOf(m.Body));
    const last = records.reduce((a, b) => (b.s3.object.sequencer > a.s3.object.sequencer ? b : a));
    const head = await stack.clients.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: 'race.jpg' }));
    expect(last.s3.object.eTag).toBe(head.ETag?.replaceAll('"', ''));
  });

  it('names copies, multipart uploads, POST uploads and multi-object deletes as S3 does', async () => {
    await put('src.jpg', 'source');
    await stack.clients.s3.send(
      new CopyObjectCommand({ Bucket: stack.bucket, Key: 'copy.jpg', CopySource: `${stack.bucket}/src.jpg` }),
    );
    const { UploadId } = await stack.clients.s3.send(
      new CreateMultipartUploadCommand({ Bucket: stack.bucket, Key: 'big.jpg' }),
    );
    const partOne = Buffer.alloc(5 * 1024 * 1024, 1);
    const parts = [];
    for (const [i, Body] of [partOne, Buffer.from('tail')].entries()) {
      const { ETag } = await stack.clients.s3.send(
        new UploadPartCommand({ Bucket: stack.bucket, Key: 'big.jpg', UploadId, PartNumber: i + 1, Body }),
      );
      parts.push({ ETag, PartNumber: i + 1 });
    }
    const done = await stack.clients.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: stack.bucket,
        Key: 'big.jpg',
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const form = new FormData();
    form.set('key', 'posted.jpg');
    form.set('file', new Blob(['posted']), 'posted.jpg');
    const posted = await fetch(`${stack.endpoints.s3}/${stack.bucket}`, { method: 'POST', body: form });
    expect(posted.status).toBeLessThan(300);
    await stack.clients.s3.send(
      new DeleteObjectsCommand({
        Bucket: stack.bucket,
        Delete: { Objects: [{ Key: 'src.jpg' }, { Key: 'copy.jpg' }] },
      }),
    );

    const records = (await receive(stack.clients.sqs, stack.queueUrl, 6)).map((m) => recordOf(m.Body));
    const byName = records.map((r) => `${r.eventName} ${r.s3.object.key}`).sort();
    expect(byName).toEqual([
      'ObjectCreated:CompleteMultipartUpload big.jpg',
      'ObjectCreated:Copy copy.jpg',
      'ObjectCreated:Post posted.jpg',
      'ObjectCreated:Put src.jpg',
      'ObjectRemoved:Delete copy.jpg',
      'ObjectRemoved:Delete src.jpg',
    ]);
    const multipart = records.find((r) => r.eventName === 'ObjectCreated:CompleteMultipartUpload');
    expect(multipart?.s3.object).toMatchObject({ size: partOne.length + 4, eTag: done.ETag?.replaceAll('"', '') });
    expect(multipart?.s3.object.eTag).toMatch(/-2$/);
  });

  it('sends nothing for the thumbnail bucket', async () => {
    const before = stack.bridge.produced;
    await put('thumb.webp', 'small', stack.thumbnailBucket);
    // The write is seen within the request that made it, so by now it would have counted.
    expect(stack.bridge.produced).toBe(before);
    await put('after-thumb.jpg', 'x');
    const [message] = await receive(stack.clients.sqs, stack.queueUrl, 1);
    expect(recordOf(message?.Body).s3.object.key).toBe('after-thumb.jpg');
  });

  it('lets a test hold events back, take them, and deliver them itself twice and out of order', async () => {
    stack.bridge.pause();
    const sentBefore = stack.bridge.sent;
    await put('held.jpg', 'v1');
    await put('held.jpg', 'v2');
    const bodies = stack.bridge.drain();
    expect(bodies).toHaveLength(2);
    expect(stack.bridge.sent).toBe(sentBefore);
    const { Attributes } = await stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe('0');

    const [older, newer] = bodies.map(recordOf);
    expect(newer!.s3.object.sequencer > older!.s3.object.sequencer).toBe(true);
    await stack.bridge.send([bodies[1]!, bodies[0]!, bodies[1]!]);
    const received = await receive(stack.clients.sqs, stack.queueUrl, 3);
    expect(received.map((m) => m.Body).sort()).toEqual([bodies[0], bodies[1], bodies[1]].sort());

    await put('held.jpg', 'v3');
    expect(stack.bridge.drain()).toHaveLength(1);
    stack.bridge.resume();
    await put('released.jpg', 'v4');
    const [released] = await receive(stack.clients.sqs, stack.queueUrl, 1);
    expect(recordOf(released?.Body).s3.object.key).toBe('released.jpg');
  });

  it('emits each event as it is made', async () => {
    const seen: string[] = [];
    const onEvent = (record: { s3: { object: { key: string } } }) => seen.push(record.s3.object.key);
    stack.bridge.on('event', onEvent);
    try {
      await put('watched.jpg', 'x');
      expect(seen).toEqual(['watched.jpg']);
    } finally {
      stack.bridge.off('event', onEvent);
    }
    await receive(stack.clients.sqs, stack.queueUrl, 1);
  });
});

describe('S3 conditional reads', () => {
  it('answers GetObject IfMatch with the object when the eTag matches (quoted or not) and 412 when not', async () => {
    const { ETag } = await put('cond.jpg', 'content');
    const get = (IfMatch: string) =>
      stack.clients.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: 'cond.jpg', IfMatch }));
    expect(await (await get(ETag!)).Body?.transformToString()).toBe('content');
    expect(await (await get(ETag!.replaceAll('"', ''))).Body?.transformToString()).toBe('content');
    await put('cond.jpg', 'changed');
    await expect(get(ETag!)).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    await expect(
      stack.clients.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: 'cond.jpg', IfMatch: ETag })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    await expect(
      stack.clients.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: 'gone.jpg', IfMatch: ETag })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
    await receive(stack.clients.sqs, stack.queueUrl, 2);
  });

  it('answers IfNoneMatch with 304 when the eTag matches', async () => {
    const { ETag } = await put('etag.jpg', 'same');
    await expect(
      stack.clients.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: 'etag.jpg', IfNoneMatch: ETag })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 304 } });
    const other = await stack.clients.s3.send(
      new GetObjectCommand({ Bucket: stack.bucket, Key: 'etag.jpg', IfNoneMatch: '"other"' }),
    );
    expect(await other.Body?.transformToString()).toBe('same');
    await receive(stack.clients.sqs, stack.queueUrl, 1);
  });
});

describe('SQS behaviour the worker relies on', () => {
  it('long-polls: a waiting ReceiveMessage gets an event that arrives after it started', async () => {
    const waiting = stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, WaitTimeSeconds: 10, MaxNumberOfMessages: 1 }),
    );
    await put('late.jpg', 'x');
    const { Messages = [] } = await waiting;
    expect(Messages).toHaveLength(1);
    expect(recordOf(Messages[0]?.Body).s3.object.key).toBe('late.jpg');
  });

  it('sends a batch of 10, and ChangeMessageVisibility(0) makes a message visible again at once', async () => {
    const { Successful = [], Failed = [] } = await stack.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })),
      }),
    );
    expect([Successful.length, Failed.length]).toEqual([10, 0]);
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, MaxNumberOfMessages: 1 }),
    );
    const first = Messages[0]!;
    await stack.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: stack.queueUrl,
        ReceiptHandle: first.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const all = await receive(stack.clients.sqs, stack.queueUrl, 10);
    expect(all.map((m) => m.Body).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `body ${i}`).sort());
    const again = all.find((m) => m.MessageId === first.MessageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('moves a message received maxReceiveCount times to the DLQ', async () => {
    await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: 'poison' }));
    for (let i = 1; i <= 10; i++) {
      // VisibilityTimeout 0: each receive gives the message straight back, as a crashed worker would after a timeout.
      const { Messages = [] } = await stack.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: stack.queueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 1 }),
      );
      expect(Messages.map((m) => m.Body)).toEqual(['poison']);
    }
    const eleventh = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queueUrl }));
    expect(eleventh.Messages ?? []).toHaveLength(0);
    const [dead] = await receive(stack.clients.sqs, stack.dlqUrl, 1);
    expect(dead?.Body).toBe('poison');
  });
});

describe('large objects', () => {
  it('takes a single PutObject above fauxqs’ own 11 MiB request limit', async () => {
    const body = Buffer.alloc(12 * 1024 * 1024, 7);
    await put('panorama.jpg', body);
    const [message] = await receive(stack.clients.sqs, stack.queueUrl, 1);
    expect(recordOf(message?.Body).s3.object.size).toBe(body.length);
  });
});

describe('bridge settings', () => {
  it('sends the s3:TestEvent first when asked, and only keys with a configured suffix', async () => {
    const filtered = await startLocalStack({ bedrock: false, bridge: { suffixes: ['.jpg'], sendTestEvent: true } });
    try {
      const { s3, sqs } = filtered.clients;
      await s3.send(new PutObjectCommand({ Bucket: filtered.bucket, Key: 'notes.txt', Body: 'x' }));
      await s3.send(new PutObjectCommand({ Bucket: filtered.bucket, Key: 'photo.jpg', Body: 'x' }));
      const bodies = (await receive(sqs, filtered.queueUrl, 2)).map((m) => JSON.parse(m.Body ?? '{}'));
      expect(bodies.find((b) => b.Event)).toMatchObject({ Event: 's3:TestEvent', Bucket: 'images' });
      expect(bodies.find((b) => b.Records)?.Records[0].s3.object.key).toBe('photo.jpg');
      expect(filtered.bridge.produced).toBe(1);
    } finally {
      await filtered.close();
    }
  });

  it('sends nothing with bridge: false', async () => {
    const silent = await startLocalStack({ bedrock: false, bridge: false });
    try {
      await silent.clients.s3.send(new PutObjectCommand({ Bucket: silent.bucket, Key: 'a.jpg', Body: 'x' }));
      expect([silent.bridge.enabled, silent.bridge.produced]).toEqual([false, 0]);
    } finally {
      await silent.close();
    }
  });
});
