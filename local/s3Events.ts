import { createHash } from 'node:crypto';

/**
 * S3 event notifications as Amazon S3 writes them (eventVersion 2.1, the shape of ObjectCreated/ObjectRemoved events
 * today), as pure functions. The local stack's bridge uses them for every upload and delete; tests of other areas use
 * them to craft events (duplicates, out-of-order sequencers) without a bucket.
 */

export type S3EventName =
  | 'ObjectCreated:Put'
  | 'ObjectCreated:Post'
  | 'ObjectCreated:Copy'
  | 'ObjectCreated:CompleteMultipartUpload'
  | 'ObjectRemoved:Delete'
  | 'ObjectRemoved:DeleteMarkerCreated';

/** One record of `Records[]`, field for field as S3 sends it. */
export interface S3EventRecord {
  eventVersion: string;
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: S3EventName;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { 'x-amz-request-id': string; 'x-amz-id-2': string };
  s3: {
    s3SchemaVersion: '1.0';
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer: string };
  };
}

/** The body of an S3 event notification message. */
export interface S3EventMessage {
  Records: S3EventRecord[];
}

/** What {@link makeS3EventRecord} needs; everything else has a realistic default. */
export interface S3EventRecordInput {
  eventName: S3EventName;
  bucket: string;
  /** The object key as stored (not encoded): it is URL-encoded here the way S3 does it. */
  key: string;
  /** Hexadecimal, orders the events of one key. See {@link createSequencer}. */
  sequencer: string;
  /** Created events only: bytes. */
  size?: number;
  /** Created events only: with or without quotes; S3 sends it without. */
  eTag?: string;
  versionId?: string;
  /** Default: now. */
  eventTime?: Date | string;
  /** Default 'us-east-1'. */
  region?: string;
  /** The name of the bucket's notification configuration. Default 'image-catalogue-local'. */
  configurationId?: string;
  /** Default '127.0.0.1'. */
  sourceIPAddress?: string;
  /** Default: derived from key and sequencer, so equal inputs give equal records. */
  requestId?: string;
  hostId?: string;
  /** Default '2.1' (2.2 and 2.3 add fields for replication, lifecycle and tiering events only). */
  eventVersion?: string;
}

export const DEFAULT_CONFIGURATION_ID = 'image-catalogue-local';
/** The principal S3 names as the uploader and as the bucket owner; a fixed made-up canonical id. */
export const LOCAL_PRINCIPAL_ID = 'AWS:AIDALOCALSTACKEXAMPLE';
export const LOCAL_OWNER_ID = 'A1LOCALSTACKOWNER';

const FORM_SAFE = /[A-Za-z0-9.\-*_]/;

/**
 * URL-encodes a key as S3 does in event notifications: `application/x-www-form-urlencoded` (Java's URLEncoder):
 * letters, digits and `. - * _` stay, a space becomes `+`, every other byte of the UTF-8 form becomes `%XX`, except
 * `/`, which S3 leaves alone. So `a b+c%é/x(1).jpg` → `a+b%2Bc%25%C3%A9/x%281%29.jpg`.
 */
export function encodeS3EventKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (ch === '/' || FORM_SAFE.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function hexId(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length).toUpperCase();
}

/** Builds one record. Removed events carry no size and no eTag, as in S3. */
export function makeS3EventRecord(input: S3EventRecordInput): S3EventRecord {
  const created = input.eventName.startsWith('ObjectCreated:');
  if (!/^[0-9A-F]+$/i.test(input.sequencer)) throw new RangeError(`sequencer must be hexadecimal: ${input.sequencer}`);
  if (created && (input.size === undefined || input.eTag === undefined)) {
    throw new TypeError(`${input.eventName} needs size and eTag`);
  }
  const time = input.eventTime ?? new Date();
  const seed = `${input.bucket}/${input.key}#${input.sequencer}`;
  // Built field by field to keep S3's order of keys: key, size, eTag, versionId, sequencer.
  const object: Partial<S3EventRecord['s3']['object']> = { key: encodeS3EventKey(input.key) };
  if (created) {
    object.size = input.size;
    object.eTag = input.eTag?.replace(/^W\//, '').replace(/^"|"$/g, '');
  }
  if (input.versionId !== undefined) object.versionId = input.versionId;
  object.sequencer = input.sequencer.toUpperCase();
  return {
    eventVersion: input.eventVersion ?? '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region ?? 'us-east-1',
    eventTime: typeof time === 'string' ? time : time.toISOString(),
    eventName: input.eventName,
    userIdentity: { principalId: LOCAL_PRINCIPAL_ID },
    requestParameters: { sourceIPAddress: input.sourceIPAddress ?? '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': input.requestId ?? hexId(`req:${seed}`, 16),
      'x-amz-id-2': input.hostId ?? Buffer.from(hexId(`host:${seed}`, 64), 'hex').toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: input.configurationId ?? DEFAULT_CONFIGURATION_ID,
      bucket: {
        name: input.bucket,
        ownerIdentity: { principalId: LOCAL_OWNER_ID },
        arn: `arn:aws:s3:::${input.bucket}`,
      },
      object: object as S3EventRecord['s3']['object'],
    },
  };
}

/** The message body (JSON) holding these records. S3 itself sends one record per message. */
export function makeS3EventMessage(records: readonly S3EventRecord[]): string {
  const message: S3EventMessage = { Records: [...records] };
  return JSON.stringify(message);
}

/** The `s3:TestEvent` message S3 sends to a queue when a notification configuration is saved. */
export function makeS3TestEvent(bucket: string, time: Date = new Date()): string {
  const seed = `test:${bucket}:${time.toISOString()}`;
  return JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: time.toISOString(),
    Bucket: bucket,
    RequestId: hexId(`req:${seed}`, 16),
    HostId: Buffer.from(hexId(`host:${seed}`, 64), 'hex').toString('base64'),
  });
}

/**
 * A sequencer source: 18 uppercase hex digits (the length S3's sequencers usually have), the first 12 the time in ms
 * and the last 6 a counter, so every value is greater than the one before, also across restarts of the stack (as
 * long as the clock does not go back) — which is what a per-key ordering needs.
 */
export function createSequencer(now: () => number = Date.now): () => string {
  let last = 0n;
  return () => {
    const next = BigInt(now()) << 24n;
    last = next > last ? next : last + 1n;
    return last.toString(16).toUpperCase().padStart(18, '0');
  };
}
