import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { BackfillMessage } from '../../../shared/messages.ts';

/** One object to put: its key and body. */
export interface Fixture {
  key: string;
  body: Buffer;
}

/** Puts the objects with `concurrency` PutObject calls in flight. */
export async function fillBucket(
  s3: S3Client,
  bucket: string,
  objects: readonly Fixture[],
  concurrency = 32,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < objects.length; i = next++) {
      const o = objects[i]!;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Receives and deletes every message on the queue and returns the parsed backfill messages. Stops after `idle`
 * consecutive empty receives (fauxqs stores a sent message before SendMessageBatch returns, so an empty receive
 * after the run means the queue is drained).
 */
export async function drainBackfillMessages(sqs: SQSClient, queueUrl: string, idle = 2): Promise<BackfillMessage[]> {
  const out: BackfillMessage[] = [];
  let empty = 0;
  const receiver = async () => {
    while (empty < idle) {
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 600,
        }),
      );
      const messages = r.Messages ?? [];
      if (messages.length === 0) {
        empty++;
        continue;
      }
      empty = 0;
      for (const m of messages) out.push(BackfillMessage.parse(JSON.parse(m.Body ?? '')));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 4 }, receiver));
  return out;
}

/** Counts of each string in `items`. */
function multiset(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

/** Keys that appear more than once. */
export function duplicates(items: readonly string[]): string[] {
  return [...multiset(items)].filter(([, n]) => n > 1).map(([k]) => k);
}

const TINY = Buffer.from('x');

/**
 * A bucket's worth of awkward keys: nested prefixes, spaces, '+', '%', accents, CJK, an emoji (a character past
 * U+FFFF, where UTF-8 and UTF-16 orders differ), upper-case suffixes; with non-images and zero-byte images mixed in.
 * Returns the objects and the keys a default backfill must enqueue.
 */
export function awkwardBucket(count: number): { objects: Fixture[]; images: string[] } {
  const folders = [
    '',
    'a/',
    'a/b/',
    'a/b/c d/',
    'B/',
    'photos+more/',
    'pct%20/',
    'café/',
    '日本/',
    'x😀/',
    'z/2024/01/',
  ];
  const names = [
    (i: number) => `img ${i}.jpg`,
    (i: number) => `IMG_${i}.JPG`,
    (i: number) => `p+${i}.png`,
    (i: number) => `q%2B${i}.webp`,
    (i: number) => `é-${i}.jpeg`,
    (i: number) => `写真-${i}.gif`,
    (i: number) => `emoji😀${i}.HEIC`,
    (i: number) => `notes-${i}.txt`,
    (i: number) => `meta-${i}.json`,
    (i: number) => `empty-${i}.jpg`,
  ];
  const objects: Fixture[] = [];
  const images: string[] = [];
  for (let i = 0; objects.length < count; i++) {
    const folder = folders[i % folders.length]!;
    const nameOf = names[Math.floor(i / folders.length) % names.length]!;
    const key = `${folder}${nameOf(i)}`;
    const empty = key.includes('empty-');
    objects.push({ key, body: empty ? Buffer.alloc(0) : TINY });
    if (!empty && /\.(jpe?g|png|gif|webp|heic)$/i.test(key)) images.push(key);
  }
  return { objects, images };
}
