import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { scaleOutSteps } from './rules.ts';
import type { StackConfig } from './stackConfigSchema.ts';

export interface FleetScaling {
  target: aws.appautoscaling.Target;
  scaleOut: aws.appautoscaling.Policy;
  scaleIn: aws.appautoscaling.Policy;
  backlogAlarm: aws.cloudwatch.MetricAlarm;
  idleAlarm: aws.cloudwatch.MetricAlarm;
}

/** Queue backlog = waiting + in flight, as CloudWatch metric math over the queue's two metrics. */
function backlogQueries(queueName: pulumi.Input<string>): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
  const metric = (metricName: string) => ({
    metricName,
    namespace: 'AWS/SQS',
    period: 60,
    stat: 'Maximum',
    dimensions: { QueueName: queueName },
  });
  return [
    { id: 'visible', metric: metric('ApproximateNumberOfMessagesVisible'), returnData: false },
    { id: 'inflight', metric: metric('ApproximateNumberOfMessagesNotVisible'), returnData: false },
    { id: 'backlog', expression: 'visible + inflight', label: 'messages waiting or in flight', returnData: true },
  ];
}

/**
 * Scales the worker service on the queue's backlog.
 *
 * Why step scaling and not target tracking on "backlog per task": that metric is backlog / running tasks, which is
 * undefined at zero tasks, so a fleet scaled to zero would never wake. Here an alarm on the backlog itself (messages
 * waiting + in flight, so tasks busy with messages are not counted as idle) fires from a single message, and its
 * step policy sets the task count outright (ExactCapacity): `ceil(backlog / backlogPerWorker)`, capped at
 * maxWorkers. Application Auto Scaling re-runs the policy while the alarm stays in ALARM, so the count follows the
 * backlog both ways. A second alarm, backlog zero for `scaleInIdleMinutes`, sets minWorkers (possibly 0); it treats
 * missing data as idle because SQS stops reporting metrics for a queue inactive for hours.
 *
 * The fleet is quota-bound, not CPU-bound: more tasks than the Bedrock quota can feed only wait on the shared
 * limiter, so maxWorkers should be sized to the quota (see infra/README.md), not to the backlog.
 */
export function fleetScaling(
  name: string,
  args: {
    config: StackConfig;
    cluster: aws.ecs.Cluster;
    service: aws.ecs.Service;
    queue: aws.sqs.Queue;
  },
  opts: pulumi.CustomResourceOptions,
): FleetScaling {
  const { config } = args;
  const target = new aws.appautoscaling.Target(
    `${name}-target`,
    {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: pulumi.interpolate`service/${args.cluster.name}/${args.service.name}`,
      minCapacity: config.minWorkers,
      maxCapacity: config.maxWorkers,
    },
    opts,
  );
  const steps = scaleOutSteps(config.maxWorkers, config.backlogPerWorker).map((step) => ({
    metricIntervalLowerBound: String(step.lowerBound),
    metricIntervalUpperBound: step.upperBound === undefined ? undefined : String(step.upperBound),
    scalingAdjustment: step.capacity,
  }));
  const scaleOut = exactCapacityPolicy(`${name}-scale-out`, { target, cooldown: 60, steps }, opts);
  const scaleIn = exactCapacityPolicy(
    `${name}-scale-in`,
    { target, cooldown: 300, steps: [{ metricIntervalUpperBound: '0', scalingAdjustment: config.minWorkers }] },
    opts,
  );
  const backlogAlarm = new aws.cloudwatch.MetricAlarm(
    `${name}-backlog`,
    {
      alarmDescription: 'image-catalogue: messages waiting; scales the workers out',
      metricQueries: backlogQueries(args.queue.name),
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      alarmActions: [scaleOut.arn],
    },
    opts,
  );
  const idleAlarm = new aws.cloudwatch.MetricAlarm(
    `${name}-idle`,
    {
      alarmDescription: 'image-catalogue: queue idle; scales the workers in to minWorkers',
      metricQueries: backlogQueries(args.queue.name),
      // Below 1, i.e. zero: the breach is then -1, inside the step's (-inf, 0) interval whichever bound is inclusive.
      comparisonOperator: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: config.scaleInIdleMinutes,
      treatMissingData: 'breaching',
      alarmActions: [scaleIn.arn],
    },
    opts,
  );
  return { target, scaleOut, scaleIn, backlogAlarm, idleAlarm };
}

/** A step scaling policy that sets the task count outright (ExactCapacity) from the alarm's breach. */
function exactCapacityPolicy(
  name: string,
  args: {
    target: aws.appautoscaling.Target;
    cooldown: number;
    steps: aws.types.input.appautoscaling.PolicyStepScalingPolicyConfigurationStepAdjustment[];
  },
  opts: pulumi.CustomResourceOptions,
): aws.appautoscaling.Policy {
  return new aws.appautoscaling.Policy(
    name,
    {
      serviceNamespace: args.target.serviceNamespace,
      scalableDimension: args.target.scalableDimension,
      resourceId: args.target.resourceId,
      policyType: 'StepScaling',
      stepScalingPolicyConfiguration: {
        adjustmentType: 'ExactCapacity',
        cooldown: args.cooldown,
        metricAggregationType: 'Maximum',
        stepAdjustments: args.steps,
      },
    },
    opts,
  );
}
