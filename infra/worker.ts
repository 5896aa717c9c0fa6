import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { AwsContext } from './iam.ts';
import type { Network } from './network.ts';
import type { StackConfig } from './stackConfigSchema.ts';
import { staticWorkerEnvironment } from './workerEnvironment.ts';
import { type WorkerGrants, workerRoles } from './workerRoles.ts';

export const CONTAINER_NAME = 'worker';
/** Fargate's ceiling: time between SIGTERM and SIGKILL, also the Spot interruption notice. */
export const STOP_TIMEOUT_SECONDS = 120;

export interface WorkerFleet {
  repository: aws.ecr.Repository;
  logGroup: aws.cloudwatch.LogGroup;
  cluster: aws.ecs.Cluster;
  taskDefinition: aws.ecs.TaskDefinition;
  service: aws.ecs.Service;
  taskRole: aws.iam.Role;
  executionRole: aws.iam.Role;
  image: pulumi.Output<string>;
}

/** The ECR repository for the worker image, scanned on push, keeping the newest 20 images. */
export function workerRepository(
  name: string,
  config: StackConfig,
  opts: pulumi.CustomResourceOptions,
): aws.ecr.Repository {
  const repository = new aws.ecr.Repository(
    name,
    {
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: config.ecrImmutableTags ? 'IMMUTABLE' : 'MUTABLE',
      encryptionConfigurations: [{ encryptionType: 'AES256' }],
      forceDelete: config.forceDestroy,
    },
    opts,
  );
  new aws.ecr.LifecyclePolicy(
    `${name}-lifecycle`,
    {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'keep the newest 20 images',
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 },
            action: { type: 'expire' },
          },
        ],
      }),
    },
    opts,
  );
  return repository;
}

/**
 * The worker fleet: log group, roles, ECS cluster, Fargate task definition (the worker's whole configuration as
 * environment variables) and the service. The service's desired count belongs to autoscaling after creation, so
 * later `pulumi up` runs leave it alone.
 */
export function workerFleet(
  name: string,
  args: {
    config: StackConfig;
    ctx: AwsContext;
    network: Network;
    repository: aws.ecr.Repository;
    grants: Omit<WorkerGrants, 'repository' | 'logGroup'>;
    redisUrl?: pulumi.Output<string>;
  },
  opts: pulumi.CustomResourceOptions,
): WorkerFleet {
  const { config, ctx, network, repository, grants } = args;
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: config.logRetentionDays }, opts);
  const { taskRole, executionRole } = workerRoles(
    name,
    { config, ctx, grants: { ...grants, repository, logGroup } },
    opts,
  );
  const cluster = new aws.ecs.Cluster(name, {}, opts);
  const image = config.workerImage
    ? pulumi.output(config.workerImage)
    : pulumi.interpolate`${repository.repositoryUrl}:latest`;
  const environment = pulumi
    .all({
      ...staticWorkerEnvironment(config),
      QUEUE_URL: grants.queue.url,
      DLQ_URL: grants.dlq.url,
      TABLE_NAME: grants.table.name,
      THUMBNAIL_BUCKET: grants.thumbnailBucket.bucket,
      AWS_REGION: ctx.region,
      ...(args.redisUrl ? { REDIS_URL: args.redisUrl } : {}),
    })
    .apply((vars) =>
      Object.entries(vars)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([envName, value]) => ({ name: envName, value })),
    );
  const taskDefinition = new aws.ecs.TaskDefinition(
    name,
    {
      family: `${pulumi.getProject()}-${pulumi.getStack()}-worker`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(config.workerCpu),
      memory: String(config.workerMemory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: config.workerArchitecture },
      taskRoleArn: taskRole.arn,
      executionRoleArn: executionRole.arn,
      containerDefinitions: pulumi.jsonStringify([
        {
          name: CONTAINER_NAME,
          image,
          essential: true,
          environment,
          stopTimeout: STOP_TIMEOUT_SECONDS,
          // An init process forwards SIGTERM to node and reaps children (sharp's worker threads stay in-process).
          linuxParameters: { initProcessEnabled: true },
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': logGroup.name,
              'awslogs-region': ctx.region,
              'awslogs-stream-prefix': CONTAINER_NAME,
              // Never block the worker on CloudWatch: drop logs past the buffer instead.
              mode: 'non-blocking',
              'max-buffer-size': '25m',
            },
          },
        },
      ]),
    },
    opts,
  );
  const spot = config.fargateSpot
    ? new aws.ecs.ClusterCapacityProviders(
        `${name}-capacity`,
        { clusterName: cluster.name, capacityProviders: ['FARGATE', 'FARGATE_SPOT'] },
        opts,
      )
    : undefined;
  const service = new aws.ecs.Service(
    name,
    {
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: config.minWorkers,
      ...(spot
        ? { capacityProviderStrategies: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }
        : { launchType: 'FARGATE' }),
      networkConfiguration: {
        subnets: network.subnetIds,
        securityGroups: [network.workerSecurityGroup.id],
        assignPublicIp: network.assignPublicIp,
      },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      propagateTags: 'SERVICE',
      enableEcsManagedTags: true,
      waitForSteadyState: false,
    },
    { ...opts, ignoreChanges: ['desiredCount'], dependsOn: spot ? [spot] : [] },
  );
  return { repository, logGroup, cluster, taskDefinition, service, taskRole, executionRole, image };
}
