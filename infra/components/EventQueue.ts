import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyDocument, tlsOnly } from '../iam.ts';
import { queueVisibilityTimeoutSeconds } from '../rules.ts';
import type { StackConfig } from '../stackConfigSchema.ts';
import { childOptions } from './childOptions.ts';

const DAY = 86_400;
/** S3 event notifications are up to 64 KB; 256 KiB is the SQS default and leaves room for several records. */
const MAX_MESSAGE_SIZE = 262_144;
/**
 * The events that change what the catalogue shows: every create and every delete. S3 reports a delete made by a
 * Lifecycle expiration rule as `s3:LifecycleExpiration:*`, never as `s3:ObjectRemoved:*` (Amazon S3 User Guide, "Event
 * notification types and destinations"), so both are subscribed. Byte-preserving types (tags, ACL, restore,
 * transitions) would only be acknowledged as `ignored`: not subscribed.
 */
const NOTIFICATION_EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*', 's3:LifecycleExpiration:*'];

export interface EventQueueArgs {
  config: StackConfig;
  /** The bucket whose events the queue receives. */
  bucket: aws.s3.Bucket;
  accountId: pulumi.Input<string>;
}

/**
 * The queue the bucket's events land in, its dead-letter queue, the policy that lets S3 (for this bucket and this
 * account only) send to it, and the bucket notification, created after the policy: S3 sends a test event when the
 * notification is saved and refuses the configuration if it cannot deliver it.
 */
export class EventQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly dlq: aws.sqs.Queue;
  readonly redriveAllow: aws.sqs.RedriveAllowPolicy;
  readonly queuePolicy: aws.sqs.QueuePolicy;
  readonly dlqPolicy: aws.sqs.QueuePolicy;
  readonly notification: aws.s3.BucketNotification;

  constructor(name: string, args: EventQueueArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:EventQueue', name, {}, opts);
    const child = childOptions(this, opts);
    const { dlq, queue } = queues(name, args.config, child);
    this.dlq = dlq;
    this.queue = queue;
    this.redriveAllow = new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-redrive-allow`,
      {
        queueUrl: dlq.url,
        redriveAllowPolicy: pulumi.jsonStringify({ redrivePermission: 'byQueue', sourceQueueArns: [queue.arn] }),
      },
      child,
    );
    this.queuePolicy = s3SendPolicy(name, { queue, bucket: args.bucket, accountId: args.accountId }, child);
    // Nothing but IAM principals of this account use the DLQ; its policy only refuses plain HTTP.
    this.dlqPolicy = new aws.sqs.QueuePolicy(
      `${name}-dlq-policy`,
      { queueUrl: dlq.url, policy: policyDocument([tlsOnly('sqs', [dlq.arn])]) },
      child,
    );
    this.notification = bucketNotification(
      name,
      { config: args.config, bucket: args.bucket, queue, queuePolicy: this.queuePolicy },
      child,
    );
    this.registerOutputs({ queueUrl: queue.url, dlqUrl: dlq.url });
  }
}

/** The queue and its DLQ, sharing one encryption setting. */
function queues(
  name: string,
  config: StackConfig,
  opts: pulumi.CustomResourceOptions,
): { queue: aws.sqs.Queue; dlq: aws.sqs.Queue } {
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
  return { queue, dlq };
}

/** Lets S3 send to the queue for this bucket and this account only (confused-deputy conditions). */
function s3SendPolicy(
  name: string,
  args: { queue: aws.sqs.Queue; bucket: aws.s3.Bucket; accountId: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions,
): aws.sqs.QueuePolicy {
  return new aws.sqs.QueuePolicy(
    `${name}-s3-policy`,
    {
      queueUrl: args.queue.url,
      policy: policyDocument([
        tlsOnly('sqs', [args.queue.arn]),
        {
          Sid: 'S3EventsFromTheImageBucket',
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: args.queue.arn,
          Condition: {
            ArnEquals: { 'aws:SourceArn': args.bucket.arn },
            StringEquals: { 'aws:SourceAccount': args.accountId },
          },
        },
      ]),
    },
    opts,
  );
}

/** One notification entry per configured suffix (S3 takes one suffix per entry), created after the queue policy. */
function bucketNotification(
  name: string,
  args: { config: StackConfig; bucket: aws.s3.Bucket; queue: aws.sqs.Queue; queuePolicy: aws.sqs.QueuePolicy },
  opts: pulumi.CustomResourceOptions,
): aws.s3.BucketNotification {
  const { config } = args;
  const filterPrefix = config.notificationPrefix || undefined;
  const suffixes: Array<string | undefined> = config.notificationSuffixes.length ? config.notificationSuffixes : [];
  if (suffixes.length === 0) suffixes.push(undefined);
  return new aws.s3.BucketNotification(
    `${name}-notification`,
    {
      bucket: args.bucket.id,
      queues: suffixes.map((filterSuffix) => ({
        id: filterSuffix ? `images${filterSuffix}` : 'all-objects',
        queueArn: args.queue.arn,
        events: NOTIFICATION_EVENTS,
        filterPrefix,
        filterSuffix,
      })),
    },
    { ...opts, dependsOn: [args.queuePolicy] },
  );
}
