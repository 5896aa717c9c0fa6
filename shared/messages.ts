import { z } from 'zod';
import { PoisonMessageError } from './errors.ts';

/**
 * The message contracts of the queue, as pure functions. The worker accepts:
 *  1. S3 event notifications (`Records[]`, eventVersion 2.x), ObjectCreated:* and ObjectRemoved:*;
 *  2. `s3:TestEvent` (sent when notifications are configured): acknowledged and dropped;
 *  3. the same S3 event wrapped by SNS, and the EventBridge "Object Created"/"Object Deleted" shape;
 *  4. the backfill message of this project.
 * Anything else is a poison message.
 */

/** One object change, whatever the envelope it came in. Keys are decoded. */
export interface ObjectEvent {
  kind: 'created' | 'removed';
  bucket: string;
  key: string;
  eTag?: string;
  size?: number;
  versionId?: string;
  sequencer?: string;
  eventTime?: string;
  eventName: string;
  source: 's3' | 'sns' | 'eventbridge' | 'backfill';
  /** Backfill only: re-analyse even when the item has this eTag (e.g. after a prompt change). */
  reprocess?: boolean;
}

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
  eventName: z
    .string()
    .regex(/^(ObjectCreated|ObjectRemoved):/, 'only ObjectCreated:* and ObjectRemoved:* are handled'),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().min(0).optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z
        .string()
        .regex(/^[0-9A-Fa-f]+$/, 'sequencer must be hexadecimal')
        .optional(),
    }),
  }),
});

const EventBridgeS3 = z.object({
  'detail-type': z.enum(['Object Created', 'Object Deleted']),
  source: z.literal('aws.s3'),
  time: z.string().optional(),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().min(0).optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z
        .string()
        .regex(/^[0-9A-Fa-f]+$/)
        .optional(),
    }),
    reason: z.string().optional(),
  }),
});

const SnsEnvelope = z.object({ Type: z.literal('Notification'), Message: z.string() });

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function parseS3Records(records: unknown[], source: 's3' | 'sns'): ParsedMessage {
  const events: ObjectEvent[] = [];
  const invalid: { index: number; reason: string }[] = [];
  records.forEach((raw, index) => {
    const r = S3Record.safeParse(raw);
    if (!r.success) {
      invalid.push({ index, reason: describeIssues(r.error) });
      return;
    }
    const o = r.data.s3.object;
    let key: string;
    try {
      key = decodeS3EventKey(o.key);
    } catch {
      invalid.push({ index, reason: `s3.object.key is not valid URL encoding: ${JSON.stringify(o.key)}` });
      return;
    }
    const created = r.data.eventName.startsWith('ObjectCreated:');
    if (created && !o.eTag) {
      invalid.push({ index, reason: 's3.object.eTag is required for ObjectCreated events' });
      return;
    }
    events.push({
      kind: created ? 'created' : 'removed',
      bucket: r.data.s3.bucket.name,
      key,
      eTag: o.eTag ? normaliseETag(o.eTag) : undefined,
      size: o.size,
      versionId: o.versionId,
      sequencer: o.sequencer?.toUpperCase(),
      eventTime: r.data.eventTime,
      eventName: r.data.eventName,
      source,
    });
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
  if (o.source === 'aws.s3' && 'detail-type' in o) {
    const eb = EventBridgeS3.safeParse(o);
    if (!eb.success) throw new PoisonMessageError(`malformed EventBridge S3 event: ${describeIssues(eb.error)}`);
    const d = eb.data.detail;
    const created = eb.data['detail-type'] === 'Object Created';
    if (created && !d.object.etag)
      throw new PoisonMessageError('EventBridge Object Created event has no detail.object.etag');
    return {
      kind: 'events',
      invalid: [],
      events: [
        {
          kind: created ? 'created' : 'removed',
          bucket: d.bucket.name,
          // EventBridge keys are not URL-encoded.
          key: d.object.key,
          eTag: d.object.etag ? normaliseETag(d.object.etag) : undefined,
          size: d.object.size,
          versionId: d.object['version-id'],
          sequencer: d.object.sequencer?.toUpperCase(),
          eventTime: eb.data.time,
          eventName: `${eb.data['detail-type']}${d.reason ? `:${d.reason}` : ''}`,
          source: 'eventbridge',
        },
      ],
    };
  }
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
