import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../stackConfigSchema.ts';
import { childOptions } from './childOptions.ts';

export interface AlarmsArgs {
  config: Pick<StackConfig, 'alarmEmail' | 'oldestMessageAlarmSeconds'>;
  queue: aws.sqs.Queue;
  dlq: aws.sqs.Queue;
}

/**
 * The two alarms that say the pipeline needs a person: something reached the DLQ (a poison message or an image that
 * failed every retry), and the oldest queued message is older than the configured age (the fleet is stuck or too
 * small for the inflow). Both notify an SNS topic, with an email subscription when configured (AWS emails a
 * confirmation link first). The topic is not KMS-encrypted: CloudWatch cannot publish to a topic encrypted with
 * the AWS-managed SNS key.
 */
export class Alarms extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly subscription?: aws.sns.TopicSubscription;
  readonly dlqNotEmpty: aws.cloudwatch.MetricAlarm;
  readonly oldestMessage: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: AlarmsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:Alarms', name, {}, opts);
    const child = childOptions(this, opts);
    const topic = new aws.sns.Topic(`${name}-alarms`, {}, child);
    const subscription = args.config.alarmEmail
      ? new aws.sns.TopicSubscription(
          `${name}-alarm-email`,
          { topic: topic.arn, protocol: 'email', endpoint: args.config.alarmEmail },
          child,
        )
      : undefined;
    const actions = { alarmActions: [topic.arn], okActions: [topic.arn] };
    const dlqNotEmpty = new aws.cloudwatch.MetricAlarm(
      `${name}-dlq-not-empty`,
      {
        alarmDescription: 'image-catalogue: messages in the dead-letter queue (see the worker logs for the reason)',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: args.dlq.name },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: 0,
        treatMissingData: 'notBreaching',
        ...actions,
      },
      child,
    );
    const oldestMessage = new aws.cloudwatch.MetricAlarm(
      `${name}-oldest-message`,
      {
        alarmDescription: `image-catalogue: a queued message is older than ${args.config.oldestMessageAlarmSeconds} s`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: args.queue.name },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 5,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: args.config.oldestMessageAlarmSeconds,
        treatMissingData: 'notBreaching',
        ...actions,
      },
      child,
    );
    this.topic = topic;
    this.subscription = subscription;
    this.dlqNotEmpty = dlqNotEmpty;
    this.oldestMessage = oldestMessage;
    this.registerOutputs({ alarmTopicArn: topic.arn });
  }
}
