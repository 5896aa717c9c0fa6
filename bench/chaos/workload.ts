import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalStack } from '../../local/stack.ts';
import { makeBackfillMessage, normaliseETag } from '../../shared/messages.ts';
import { contentImage } from './images.ts';

export interface WorkloadOptions {
  keys: number;
  /** Share of keys that get the bytes of an earlier key (identical content under another key). */
  sameContent: number;
  overwrites: number;
  deletes: number;
  /** Share of keys that get a second, duplicate message (a backfill message for the same content). */
  duplicates: number;
  poison: number;
}

/** One change the workload made to a key, in order: what held which content when. */
export interface KeyChange {
  at: number;
  key: string;
  kind: 'put' | 'overwrite' | 'delete';
  /** Content number written (none for a delete). */
  content?: number;
}

interface WorkloadFacts {
  puts: number;
  overwrites: number;
  deletes: number;
  duplicates: number;
  /** Bodies of the poison messages sent: the only messages that belong in the DLQ. */
  poisonBodies: Set<string>;
  history: KeyChange[];
}

/** Runs `fn` over `items`, `concurrency` at once. */
async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * The benchmark's traffic: uploads (some with the bytes of an earlier key), then overwrites with new bytes, deletes,
 * duplicate messages and poison, interleaved while the workers run.
 */
export async function runWorkload(stack: LocalStack, o: WorkloadOptions, random: () => number) {
  const facts: WorkloadFacts = {
    puts: 0,
    overwrites: 0,
    deletes: 0,
    duplicates: 0,
    poisonBodies: new Set(),
    history: [],
  };
  const images = new Map<number, Promise<Buffer>>();
  const image = (n: number) => images.get(n) ?? images.set(n, contentImage(n)).get(n)!;
  const keys = Array.from({ length: o.keys }, (_, i) => `chaos/${String(i).padStart(5, '0')}.png`);
  let contents = 0;
  const eTags = new Map<string, string>();
  const put = async (key: string, content: number, kind: 'put' | 'overwrite') => {
    const out = await stack.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: await image(content), ContentType: 'image/png' }),
    );
    facts.history.push({ at: Date.now(), key, kind, content });
    eTags.set(key, normaliseETag(out.ETag ?? ''));
  };
  const firstContent = keys.map((_, i) => (i > 0 && random() < o.sameContent ? Math.floor(random() * i) : i));
  contents = o.keys;
  await pool(keys, 16, async (key) => {
    await put(key, firstContent[keys.indexOf(key)] as number, 'put');
    facts.puts++;
  });
  const pick = (share: number) => keys.filter(() => random() < share);
  const overwrite = pick(o.overwrites);
  const remove = pick(o.deletes);
  const duplicate = pick(o.duplicates);
  const sends: (() => Promise<void>)[] = [
    ...overwrite.map((key) => async () => {
      await put(key, contents++, 'overwrite');
      facts.overwrites++;
    }),
    ...remove.map((key) => async () => {
      await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: key }));
      facts.history.push({ at: Date.now(), key, kind: 'delete' });
      facts.deletes++;
    }),
    ...duplicate.map((key) => async () => {
      const body = makeBackfillMessage({ bucket: stack.bucket, key, eTag: eTags.get(key) ?? 'x', size: 1 });
      await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: body }));
      facts.duplicates++;
    }),
    ...Array.from({ length: o.poison }, (_, i) => async () => {
      const body = i % 2 ? `not json ${i}` : JSON.stringify({ hello: 'world', n: i });
      facts.poisonBodies.add(body);
      await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: body }));
    }),
  ];
  // Shuffled, so overwrites, deletes, duplicates and poison mix with each other and with the uploads' processing.
  for (let i = sends.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sends[i], sends[j]] = [sends[j] as () => Promise<void>, sends[i] as () => Promise<void>];
  }
  await pool(sends, 4, (send) => send());
  return facts;
}
