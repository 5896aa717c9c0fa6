/**
 * The repair message for an item whose object is gone: an S3 `ObjectRemoved:Delete` notification record without a
 * sequencer (the form the worker accepts from S3-compatible stores and re-driven events). Without a sequencer the
 * worker cannot order it against the stored item, so it asks S3 (HeadObject) and writes the tombstone only if the key
 * still has no current version: a key re-created since the reconcile is not hidden. The backfill's own message only
 * says "this object exists", hence this shape for a removal.
 */
export function removalMessageBody(input: { bucket: string; key: string; region: string; at?: Date }): string {
  const record = {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region,
    eventTime: (input.at ?? new Date()).toISOString(),
    eventName: 'ObjectRemoved:Delete',
    // Says who made the event, for whoever reads it in a log or the DLQ.
    userIdentity: { principalId: 'image-catalogue-reconcile' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'image-catalogue-reconcile',
      bucket: { name: input.bucket, arn: `arn:aws:s3:::${input.bucket}` },
      // URL-encoded as S3 does in notifications: spaces as '+', the rest percent-encoded.
      object: { key: encodeURIComponent(input.key).replace(/%20/g, '+') },
    },
  };
  // ASCII only, as the backfill's bodies (SQS refuses some characters in a body; JSON escapes parse back exactly).
  return JSON.stringify({ Records: [record] }).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
