import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { AwsContext } from '../iam.ts';
import { type FleetScaling, fleetScaling } from '../scaling.ts';
import type { StackConfig } from '../stackConfigSchema.ts';
import { staticWorkerEnvironment } from '../workerEnvironment.ts';
import { type WorkerGrants, workerRoles } from '../workerRoles.ts';
import { childOptions } from './childOptions.ts';
import type { Network } from './Network.ts';

const CONTAINER_NAME = 'worker';
/** Fargate's ceiling: time between SIGTERM and SIGKILL, also the Spot interruption notice. */
const STOP_TIMEOUT_SECONDS = 120;

export interface WorkerFleetArgs {
  config: StackConfig;
  ctx: AwsContext;
  network: Network;
  /** What the task role may touch (the repository and log group are the fleet's own). */
  grants: Omit<WorkerGrants, 'repository' | 'logGroup' | 'redisUrlSecret'>;
  /** The secret holding the quota store's URL with its AUTH token, when there is one. */
  redisUrlSecret?: aws.secretsmanager.Secret;
}

/**
 * The worker fleet: the image repository, log group, roles, ECS cluster, Fargate task definition (the worker's whole
 * configuration as environment variables), the service, and its autoscaling on the queue's backlog. The service's
 * desired count belongs to autoscaling after creation, so later `pulumi up` runs leave it alone.
 */
export class WorkerFleet extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly cluster: aws.ecs.Cluster;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly service: aws.ecs.Service;
  readonly taskRole: aws.iam.Role;
  readonly executionRole: aws.iam.Role;
  readonly scaling: FleetScaling;
  /** The container image the tasks run. */
  readonly image: pulumi.Output<string>;

  constructor(name: string, args: WorkerFleetArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:WorkerFleet', name, {}, opts);
    const child = childOptions(this, opts);
    const { config, ctx, grants } = args;
    const worker = `${name}-worker`;
    this.repository = workerRepository(worker, config, child);
    this.logGroup = new aws.cloudwatch.LogGroup(`${worker}-logs`, { retentionInDays: config.logRetentionDays }, child);
    const roles = workerRoles(
      worker,
      {
        config,
        ctx,
        grants: {
          ...grants,
          repository: this.repository,
          logGroup: this.logGroup,
          redisUrlSecret: args.redisUrlSecret?.arn,
        },
      },
      child,
    );
    this.taskRole = roles.taskRole;
    this.executionRole = roles.executionRole;
    this.cluster = new aws.ecs.Cluster(worker, {}, child);
    this.image = config.workerImage
      ? pulumi.output(config.workerImage)
      : pulumi.interpolate`${this.repository.repositoryUrl}:latest`;
    this.taskDefinition = taskDefinition(worker, { ...args, fleet: this }, child);
    this.service = fleetService(worker, { config, network: args.network, fleet: this }, child);
    this.scaling = fleetScaling(
      `${name}-fleet`,
      { config, cluster: this.cluster, service: this.service, queue: grants.queue },
      child,
    );
    this.registerOutputs({
      ecrRepositoryUrl: this.repository.repositoryUrl,
      workerImage: this.image,
      clusterName: this.cluster.name,
      serviceName: this.service.name,
      workerLogGroupName: this.logGroup.name,
    });
  }
}

/** The ECR repository for the worker image, scanned on push, keeping the newest 20 images. */
function workerRepository(name: string, config: StackConfig, opts: pulumi.CustomResourceOptions): aws.ecr.Repository {
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

/** The fleet's parts a task definition and service are built from. */
type FleetParts = Pick<WorkerFleet, 'image' | 'logGroup' | 'taskRole' | 'executionRole' | 'cluster'>;

/** The worker's environment: the static settings from the config, plus what only the stack's resources know. */
function containerEnvironment(args: WorkerFleetArgs): pulumi.Output<Array<{ name: string; value: string }>> {
  const { grants } = args;
  return pulumi
    .all({
      ...staticWorkerEnvironment(args.config),
      QUEUE_URL: grants.queue.url,
      DLQ_URL: grants.dlq.url,
      TABLE_NAME: grants.table.name,
      THUMBNAIL_BUCKET: grants.thumbnailBucket.bucket,
      AWS_REGION: args.ctx.region,
    })
    .apply((vars) =>
      Object.entries(vars)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([envName, value]) => ({ name: envName, value })),
    );
}

/** The Fargate task definition: one container, the worker, with its settings as environment variables. */
function taskDefinition(
  name: string,
  args: WorkerFleetArgs & { fleet: FleetParts },
  opts: pulumi.CustomResourceOptions,
): aws.ecs.TaskDefinition {
  const { config, ctx, fleet } = args;
  return new aws.ecs.TaskDefinition(
    name,
    {
      family: `${pulumi.getProject()}-${pulumi.getStack()}-worker`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(config.workerCpu),
      memory: String(config.workerMemory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: config.workerArchitecture },
      taskRoleArn: fleet.taskRole.arn,
      executionRoleArn: fleet.executionRole.arn,
      containerDefinitions: pulumi.jsonStringify([
        {
          name: CONTAINER_NAME,
          image: fleet.image,
          essential: true,
          environment: containerEnvironment(args),
          // ECS reads the secret at task start (execution role) and hands it over as a variable.
          secrets: args.redisUrlSecret ? [{ name: 'REDIS_URL', valueFrom: args.redisUrlSecret.arn }] : [],
          stopTimeout: STOP_TIMEOUT_SECONDS,
          // An init process forwards SIGTERM to node and reaps children (sharp's worker threads stay in-process).
          linuxParameters: { initProcessEnabled: true },
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': fleet.logGroup.name,
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
}

/** The ECS service, on Fargate Spot when configured; autoscaling owns its desired count after creation. */
function fleetService(
  name: string,
  args: { config: StackConfig; network: Network; fleet: FleetParts & { taskDefinition: aws.ecs.TaskDefinition } },
  opts: pulumi.CustomResourceOptions,
): aws.ecs.Service {
  const { config, network, fleet } = args;
  const spot = config.fargateSpot
    ? new aws.ecs.ClusterCapacityProviders(
        `${name}-capacity`,
        { clusterName: fleet.cluster.name, capacityProviders: ['FARGATE', 'FARGATE_SPOT'] },
        opts,
      )
    : undefined;
  return new aws.ecs.Service(
    name,
    {
      cluster: fleet.cluster.arn,
      taskDefinition: fleet.taskDefinition.arn,
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
}
