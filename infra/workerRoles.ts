import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CATALOGUE_TABLE } from '../shared/table.ts';
import { type AwsContext, indexesOf, objectsOf, type Statement, serviceRole } from './iam.ts';
import type { StackConfig } from './stackConfigSchema.ts';

/** What the worker's roles grant access to. */
export interface WorkerGrants {
  imageBucket: aws.s3.Bucket;
  thumbnailBucket: aws.s3.Bucket;
  queue: aws.sqs.Queue;
  dlq: aws.sqs.Queue;
  table: aws.dynamodb.Table;
  repository: aws.ecr.Repository;
  logGroup: aws.cloudwatch.LogGroup;
  /** ARN of the secret ECS reads REDIS_URL from at task start. */
  redisUrlSecret?: pulumi.Output<string>;
}

/**
 * The Bedrock statements `bedrock:InvokeModel` needs (Converse is authorised as InvokeModel), with no region wildcard:
 * - a foundation model: that model in this region;
 * - an inference profile: the profile itself, and the model in exactly the regions the profile routes to
 *   (`inferenceProfileRegions`, from the model card; a `global.` profile uses the region-less model ARN), and only
 *   when the call comes through this profile (`bedrock:InferenceProfileArn`), so the role cannot call the model
 *   directly in those regions.
 */
function bedrockStatements(
  config: Pick<StackConfig, 'modelId' | 'inferenceProfileId' | 'inferenceProfileRegions'>,
  ctx: AwsContext,
): Statement[] {
  const action = 'bedrock:InvokeModel';
  if (!config.inferenceProfileId) {
    const model = pulumi.interpolate`arn:${ctx.partition}:bedrock:${ctx.region}::foundation-model/${config.modelId}`;
    return [{ Sid: 'DescribeImages', Effect: 'Allow', Action: action, Resource: model }];
  }
  const profile = pulumi.interpolate`arn:${ctx.partition}:bedrock:${ctx.region}:${ctx.accountId}:inference-profile/${config.inferenceProfileId}`;
  const regions = config.inferenceProfileId.startsWith('global.') ? [''] : config.inferenceProfileRegions;
  const models = regions.map(
    (region) => pulumi.interpolate`arn:${ctx.partition}:bedrock:${region}::foundation-model/${config.modelId}`,
  );
  return [
    { Sid: 'DescribeImagesProfile', Effect: 'Allow', Action: action, Resource: profile },
    {
      Sid: 'DescribeImagesThroughProfile',
      Effect: 'Allow',
      Action: action,
      Resource: models,
      Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profile } },
    },
  ];
}

/**
 * The task role: exactly what the worker's adapters call, each on its own resource.
 * - S3: GetObject on the image bucket's objects, plus ListBucket on the bucket itself, without which S3 answers a
 *   missing key with 403 instead of 404 and the worker could not tell "deleted since the event" from "forbidden";
 *   PutObject on the thumbnail bucket's objects.
 * - SQS: consume the queue; SendMessage on the DLQ only (poison messages go there at once).
 * - DynamoDB: read and conditional writes on the table and its indexes.
 * - Bedrock: InvokeModel on the configured model.
 */
function workerTaskStatements(config: StackConfig, grants: WorkerGrants, ctx: AwsContext): Statement[] {
  const statements: Statement[] = [
    { Sid: 'ReadImages', Effect: 'Allow', Action: 's3:GetObject', Resource: objectsOf(grants.imageBucket.arn) },
    { Sid: 'TellMissingFromForbidden', Effect: 'Allow', Action: 's3:ListBucket', Resource: grants.imageBucket.arn },
    {
      // The derived copies (thumbnail, display copy) are written, and deleted when their last image is removed.
      Sid: 'WriteThumbnails',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject'],
      Resource: objectsOf(grants.thumbnailBucket.arn),
    },
    {
      Sid: 'ConsumeQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      Resource: grants.queue.arn,
    },
    { Sid: 'PoisonToDlq', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: grants.dlq.arn },
    {
      Sid: 'Catalogue',
      Effect: 'Allow',
      // DeleteItem: a worker releases its short claim (lease) item once the model call is done.
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
      Resource: [grants.table.arn, ...indexesOf(grants.table.arn, [CATALOGUE_TABLE.byContentIndex.name])],
    },
    ...bedrockStatements(config, ctx),
  ];
  if (config.queueKmsKeyArn) {
    // Receiving from a KMS-encrypted queue needs Decrypt; sending to the DLQ needs GenerateDataKey.
    statements.push({
      Sid: 'QueueKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: config.queueKmsKeyArn,
    });
  }
  return statements;
}

/**
 * The execution role ECS uses to start a task: pull from this repository and write to this log group. Written out
 * instead of attaching AmazonECSTaskExecutionRolePolicy, which allows those actions on every repository and log
 * group. `ecr:GetAuthorizationToken` has no resource-level permissions, so it alone takes `*`.
 */
function workerExecutionStatements(grants: WorkerGrants): Statement[] {
  return [
    { Sid: 'RegistryLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    {
      Sid: 'PullWorkerImage',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: grants.repository.arn,
    },
    {
      Sid: 'WriteWorkerLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: pulumi.interpolate`${grants.logGroup.arn}:*`,
    },
    ...(grants.redisUrlSecret
      ? [
          {
            Sid: 'ReadRedisUrl',
            Effect: 'Allow' as const,
            Action: 'secretsmanager:GetSecretValue',
            Resource: grants.redisUrlSecret,
          },
        ]
      : []),
  ];
}

/** The worker's task role and task execution role. */
export function workerRoles(
  name: string,
  args: { config: StackConfig; grants: WorkerGrants; ctx: AwsContext },
  opts: pulumi.CustomResourceOptions,
): { taskRole: aws.iam.Role; executionRole: aws.iam.Role } {
  const service = 'ecs-tasks.amazonaws.com';
  const task = serviceRole(
    `${name}-task`,
    {
      service,
      accountId: args.ctx.accountId,
      description: 'image-catalogue worker: read images, write thumbnails and catalogue, call Bedrock',
      statements: workerTaskStatements(args.config, args.grants, args.ctx),
    },
    opts,
  );
  const execution = serviceRole(
    `${name}-execution`,
    {
      service,
      accountId: args.ctx.accountId,
      description: 'image-catalogue worker: pull the image, write logs',
      statements: workerExecutionStatements(args.grants),
    },
    opts,
  );
  return { taskRole: task.role, executionRole: execution.role };
}
