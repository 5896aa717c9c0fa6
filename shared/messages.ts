import { z } from 'zod';
import { PoisonMessageError } from './errors.ts';
import { isEventBridgeS3, parseEventBridgeS3 } from './eventBridgeEvent.ts';
import type { ObjectEvent } from './objectEvent.ts';
import { classifyS3EventName } from './s3EventTypes.ts';
import { isS3Sequencer } from './sequencer.ts';

/**
 * The message contracts of the queue, as pure functions. The worker accepts:
 *  1. S3 event notifications (`Records[]`, eventVersion 2.x) of every event type: what each type means is decided in
 *     s3EventTypes.ts (created, removed, unchanged; unknown types are poison);
 *  2. `s3:TestEvent` (sent when notifications are configured): acknowledged and dropped;
 *  3. the same S3 event wrapped by SNS, and S3 events delivered by EventBridge (eventBridgeEvent.ts);
 *  4. the backfill message of this project.
 * Anything else is a poison message.
 */

export type { ObjectEvent } from './objectEvent.ts';

export type ParsedMessage =
  | { kind: 'test' }
  | {
      kind: 'events';
      events: ObjectEvent[];
      /** Records that could not be read, with why; the valid ones in the same message are still processed. */
      invalid: { index: number; reason: string }[];
    };

const BACKFILL_MESSAGE_TYPE = 'image-catalogue.backfill';

/** The backfill message: small, versioned, and carrying what ListObjectsV2 tells about the object. */
export const BackfillMessage = z.object({
  type: z.literal(BACKFILL_MESSAGE_TYPE),
  version: z.literal(1),
  bucket: z.string().min(3).max(63),
  key: z.string().min(1).max(1024),
  eTag: z.string().min(1),
  size: z.number().int().min(0),
  lastModified: z.string().optional(),
  reprocess: z.boolean().optional(),
});
export type BackfillMessage = z.infer<typeof BackfillMessage>;

/** Builds the backfill message body for one listed object. */
export function makeBackfillMessage(input: Omit<BackfillMessage, 'type' | 'version'>): string {
  return JSON.stringify(BackfillMessage.parse({ type: BACKFILL_MESSAGE_TYPE, version: 1, ...input }));
}

/**
 * S3 URL-encodes keys in notifications the way HTML forms do: spaces as `+`, everything else percent-encoded. So
 * `+` must become a space before percent-decoding (a literal plus arrives as `%2B`).
 */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** Strips the quotes some sources put around an ETag. */
export function normaliseETag(eTag: string): string {
  return eTag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

const S3Record = z.object({
  eventVersion: z.string().regex(/^2\.\d+$/, 'eventVersion must be 2.x'),
  eventSource: z.literal('aws:s3'),
  eventTime: z.string().optional(),
  eventName: z.string().min(1),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().min(0).optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const SnsEnvelope = z.object({ Type: z.literal('Notification'), Message: z.string() });

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** One record, or why it cannot be used. */
function parseS3Record(raw: unknown, source: 's3' | 'sns'): ObjectEvent | string {
  const r = S3Record.safeParse(raw);
  if (!r.success) return describeIssues(r.error);
  const what = classifyS3EventName(r.data.eventName);
  if (what.action === 'unknown') return what.reason;
  const o = r.data.s3.object;
  let key: string;
  try {
    key = decodeS3EventKey(o.key);
  } catch {
    return `s3.object.key is not valid URL encoding: ${JSON.stringify(o.key)}`;
  }
  const sequencer = o.sequencer?.trim() || undefined;
  // Order matters only for events that change the catalogue; a sequencer that cannot be ordered never will be.
  if (what.action !== 'unchanged' && sequencer !== undefined && !isS3Sequencer(sequencer)) {
    return `s3.object.sequencer is not an S3 sequencer (hexadecimal, at most 40 digits): ${JSON.stringify(sequencer)}`;
  }
  if (what.action === 'created' && !o.eTag) return 's3.object.eTag is required for ObjectCreated events';
  return {
    kind: what.action,
    bucket: r.data.s3.bucket.name,
    key,
    eTag: o.eTag ? normaliseETag(o.eTag) : undefined,
    size: o.size,
    // An empty versionId names no version: passing it on would make GetObject fail.
    versionId: o.versionId || undefined,
    sequencer: what.action === 'unchanged' ? undefined : sequencer?.toUpperCase(),
    eventTime: r.data.eventTime,
    eventName: r.data.eventName,
    source,
    ...(what.action === 'removed' ? { deletionType: what.deletionType, lifecycle: what.lifecycle } : {}),
  };
}

function parseS3Records(records: unknown[], source: 's3' | 'sns'): ParsedMessage {
  const events: ObjectEvent[] = [];
  const invalid: { index: number; reason: string }[] = [];
  records.forEach((raw, index) => {
    const parsed = parseS3Record(raw, source);
    if (typeof parsed === 'string') invalid.push({ index, reason: parsed });
    else events.push(parsed);
  });
  if (events.length === 0) {
    throw new PoisonMessageError(`no usable S3 record: ${invalid.map((i) => `#${i.index} ${i.reason}`).join(' | ')}`, {
      context: { invalid },
    });
  }
  return { kind: 'events', events, invalid };
}

function parseObject(body: unknown, source: 's3' | 'sns'): ParsedMessage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PoisonMessageError('message body is not a JSON object');
  }
  const o = body as Record<string, unknown>;
  if (o.Event === 's3:TestEvent') return { kind: 'test' };
  if (Array.isArray(o.Records)) {
    if (o.Records.length === 0) throw new PoisonMessageError('S3 notification has no Records');
    return parseS3Records(o.Records, source);
  }
  if (source === 's3' && o.Type === 'Notification') {
    const sns = SnsEnvelope.safeParse(o);
    if (!sns.success) throw new PoisonMessageError(`malformed SNS notification: ${describeIssues(sns.error)}`);
    let inner: unknown;
    try {
      inner = JSON.parse(sns.data.Message);
    } catch {
      throw new PoisonMessageError('SNS notification Message is not JSON');
    }
    return parseObject(inner, 'sns');
  }
  if (isEventBridgeS3(o)) return { kind: 'events', invalid: [], events: [parseEventBridgeS3(o)] };
  if (o.type === BACKFILL_MESSAGE_TYPE) {
    const b = BackfillMessage.safeParse(o);
    if (!b.success) throw new PoisonMessageError(`malformed backfill message: ${describeIssues(b.error)}`);
    return {
      kind: 'events',
      invalid: [],
      events: [
        {
          kind: 'created',
          bucket: b.data.bucket,
          key: b.data.key,
          eTag: normaliseETag(b.data.eTag),
          size: b.data.size,
          eventTime: b.data.lastModified,
          eventName: 'Backfill',
          source: 'backfill',
          reprocess: b.data.reprocess,
        },
      ],
    };
  }
  throw new PoisonMessageError('unknown message shape: not an S3 notification, SNS, EventBridge or backfill message');
}

/**
 * Parses a queue message body into object events.
 * @throws PoisonMessageError when nothing in the message can be used; the message then goes to the DLQ at once.
 */
export function parseQueueMessage(body: string | undefined): ParsedMessage {
  if (body === undefined || body.trim() === '') throw new PoisonMessageError('message body is empty');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new PoisonMessageError(`message body is not JSON: ${(error as Error).message}`, {
      context: { bodyStart: body.slice(0, 80) },
    });
  }
  return parseObject(json, 's3');
}
