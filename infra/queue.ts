import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyDocument } from './iam.ts';
import { queueVisibilityTimeoutSeconds } from './rules.ts';
import type { StackConfig } from './stackConfigSchema.ts';

const DAY = 86_400;
/** S3 event notifications are up to 64 KB; 256 KiB is the SQS default and leaves room for several records. */
export const MAX_MESSAGE_SIZE = 262_144;
/** The events the worker handles: every create and every delete. */
export const NOTIFICATION_EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'];

export interface EventQueue {
  queue: aws.sqs.Queue;
  dlq: aws.sqs.Queue;
  redriveAllow: aws.sqs.RedriveAllowPolicy;
  queuePolicy: aws.sqs.QueuePolicy;
  notification: aws.s3.BucketNotification;
}

/**
 * The queue the bucket's events land in, its dead-letter queue, the policy that lets S3 (for this bucket and this
 * account only) send to it, and the bucket notification, created after the policy: S3 sends a test event when the
 * notification is saved and refuses the configuration if it cannot deliver it.
 */
export function eventQueue(
  name: string,
  args: {
    config: StackConfig;
    bucket: aws.s3.Bucket;
    accountId: pulumi.Input<string>;
  },
  opts: pulumi.CustomResourceOptions,
): EventQueue {
  const { config, bucket } = args;
  // A customer-managed key when configured (S3 cannot use the AWS-managed alias/aws/sqs key), else SQS-managed SSE.
  const encryption = config.queueKmsKeyArn
    ? { kmsMasterKeyId: config.queueKmsKeyArn, kmsDataKeyReusePeriodSeconds: 300 }
    : { sqsManagedSseEnabled: true };
  // Standard queues keep a message's original enqueue time in the DLQ, so the DLQ keeps the maximum 14 days.
  const dlq = new aws.sqs.Queue(
    `${name}-dlq`,
    { messageRetentionSeconds: 14 * DAY, maxMessageSize: MAX_MESSAGE_SIZE, ...encryption },
    opts,
  );
  const queue = new aws.sqs.Queue(
    name,
    {
      visibilityTimeoutSeconds: queueVisibilityTimeoutSeconds(config.handlerTimeoutSeconds),
      maxMessageSize: MAX_MESSAGE_SIZE,
      messageRetentionSeconds: config.queueRetentionDays * DAY,
      receiveWaitTimeSeconds: 20,
      redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: config.maxReceiveCount }),
      ...encryption,
    },
    opts,
  );
  const redriveAllow = new aws.sqs.RedriveAllowPolicy(
    `${name}-dlq-redrive-allow`,
    {
      queueUrl: dlq.url,
      redriveAllowPolicy: pulumi.jsonStringify({ redrivePermission: 'byQueue', sourceQueueArns: [queue.arn] }),
    },
    opts,
  );
  const queuePolicy = new aws.sqs.QueuePolicy(
    `${name}-s3-policy`,
    {
      queueUrl: queue.url,
      policy: policyDocument([
        {
          Sid: 'S3EventsFromTheImageBucket',
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queue.arn,
          Condition: {
            ArnEquals: { 'aws:SourceArn': bucket.arn },
            StringEquals: { 'aws:SourceAccount': args.accountId },
          },
        },
      ]),
    },
    opts,
  );
  const filterPrefix = config.notificationPrefix || undefined;
  const suffixes: Array<string | undefined> = config.notificationSuffixes.length ? config.notificationSuffixes : [];
  if (suffixes.length === 0) suffixes.push(undefined);
  const notification = new aws.s3.BucketNotification(
    `${name}-notification`,
    {
      bucket: bucket.id,
      queues: suffixes.map((filterSuffix) => ({
        id: filterSuffix ? `images${filterSuffix}` : 'all-objects',
        queueArn: queue.arn,
        events: NOTIFICATION_EVENTS,
        filterPrefix,
        filterSuffix,
      })),
    },
    { ...opts, dependsOn: [queuePolicy] },
  );
  return { queue, dlq, redriveAllow, queuePolicy, notification };
}
