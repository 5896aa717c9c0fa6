import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { receive, recordOf } from './helpers.ts';

let dataDir: string;
const stacks: LocalStack[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'local-stack-'));
});

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  await rm(dataDir, { recursive: true, force: true });
});

describe('a stack with dataDir', () => {
  it('keeps objects, queued events and catalogue items across a restart on the same ports', async () => {
    const first = await startLocalStack({ dataDir, bedrock: false });
    stacks.push(first);
    await first.clients.s3.send(new PutObjectCommand({ Bucket: first.bucket, Key: 'kept.jpg', Body: 'v1' }));
    await first.bridge.idle();
    await first.clients.ddbDoc.send(
      new PutCommand({ TableName: first.tableName, Item: { id: 'images/kept.jpg', status: 'catalogued' } }),
    );
    const ports = {
      s3sqs: Number(new URL(first.endpoints.s3).port),
      dynamodb: Number(new URL(first.endpoints.dynamodb).port),
    };
    await first.close();

    const second = await startLocalStack({ dataDir, bedrock: false, ports, maxReceiveCount: 3 });
    stacks.push(second);
    expect(second.env).toEqual(first.env);
    const object = await second.clients.s3.send(new GetObjectCommand({ Bucket: second.bucket, Key: 'kept.jpg' }));
    expect(await object.Body?.transformToString()).toBe('v1');
    const item = await second.clients.ddbDoc.send(
      new GetCommand({ TableName: second.tableName, Key: { id: 'images/kept.jpg' } }),
    );
    expect(item.Item?.status).toBe('catalogued');
    const [queued] = await receive(second.clients.sqs, second.queueUrl, 1);
    const before = recordOf(queued?.Body);
    expect(before.s3.object.key).toBe('kept.jpg');

    // Sequencers keep growing across the restart, so a late event from before it cannot win over a newer one.
    await second.clients.s3.send(new PutObjectCommand({ Bucket: second.bucket, Key: 'kept.jpg', Body: 'v2' }));
    const [after] = await receive(second.clients.sqs, second.queueUrl, 1);
    expect(recordOf(after?.Body).s3.object.sequencer > before.s3.object.sequencer).toBe(true);

    // Settings given at start win over the saved queue's.
    const { Attributes } = await second.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: second.queueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}').maxReceiveCount).toBe('3');
    await second.close();
  });
});
