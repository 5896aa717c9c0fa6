import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { type AwsContext, objectsOf, type Statement, serviceRole } from './iam.ts';
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
}

/**
 * The Bedrock resources `bedrock:InvokeModel` needs (Converse is authorised as InvokeModel): the foundation model in
 * this region, or with an inference profile the profile itself plus the model in every region the profile routes
 * to (the profile decides the region per request, so the region is a wildcard in that one ARN).
 */
function bedrockResources(
  config: Pick<StackConfig, 'modelId' | 'inferenceProfileId'>,
  ctx: AwsContext,
): pulumi.Output<string>[] {
  if (!config.inferenceProfileId) {
    return [pulumi.interpolate`arn:${ctx.partition}:bedrock:${ctx.region}::foundation-model/${config.modelId}`];
  }
  return [
    pulumi.interpolate`arn:${ctx.partition}:bedrock:${ctx.region}:${ctx.accountId}:inference-profile/${config.inferenceProfileId}`,
    pulumi.interpolate`arn:${ctx.partition}:bedrock:*::foundation-model/${config.modelId}`,
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
      Sid: 'WriteThumbnails',
      Effect: 'Allow',
      Action: 's3:PutObject',
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
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      Resource: [grants.table.arn, pulumi.interpolate`${grants.table.arn}/index/*`],
    },
    { Sid: 'DescribeImages', Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: bedrockResources(config, ctx) },
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
