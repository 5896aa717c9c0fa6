import { beforeAll, describe, expect, it } from 'vitest';
import { capacityForBacklog, scaleOutSteps } from '../../infra/rules.ts';
import { loadConfig } from '../../shared/config.ts';
import { allViolations, type PolicyStatement, taskEnvironment } from './policyChecks.ts';
import { parseJson, runStack, type StackRun } from './stackUnderMocks.ts';

// Every switch the other way: an existing VPC, no Redis, no browser, KMS, an inference profile, Spot, scale to zero.
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const PROFILE = 'us.anthropic.claude-haiku-5-5';
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:v7';
let run: StackRun;
beforeAll(async () => {
  run = await runStack({
    vpcId: 'vpc-0abc',
    subnetIds: ['subnet-a', 'subnet-b'],
    assignPublicIp: false,
    quotaStore: 'none',
    browser: false,
    alarmEmail: 'ops@example.com',
    queueKmsKeyArn: KEY,
    inferenceProfileId: PROFILE,
    inferenceProfileRegions: ['us-east-1', 'us-east-2', 'us-west-2'],
    fargateSpot: true,
    notificationPrefix: 'photos/',
    notificationSuffixes: [],
    imageBucketVersioning: true,
    minWorkers: 0,
    maxWorkers: 30,
    backlogPerWorker: 100,
    handlerTimeoutSeconds: 600,
    maxReceiveCount: 3,
    workerEnvironment: ['LOG_LEVEL=debug', 'MODEL_TIMEOUT_MS=300000'],
    tableDeletionProtection: false,
    workerArchitecture: 'ARM64',
    workerCpu: 2048,
    workerMemory: 4096,
    ecrImmutableTags: true,
    workerImage: IMAGE,
  });
});

describe('ImageCatalogue with every option switched', () => {
  it('still passes every policy check', () => {
    expect(allViolations(run.resources)).toEqual([]);
  });

  it('uses the given VPC and subnets and creates no network of its own', () => {
    expect(run.resources.filter((r) => r.type.startsWith('aws:ec2/') && !r.type.endsWith(':SecurityGroup'))).toEqual(
      [],
    );
    expect(run.get('aws:ec2/securityGroup:SecurityGroup', 'catalogue-net-worker').inputs.vpcId).toBe('vpc-0abc');
    const service = run.get('aws:ecs/service:Service', 'catalogue-worker');
    expect(service.inputs.networkConfiguration).toMatchObject({
      subnets: ['subnet-a', 'subnet-b'],
      assignPublicIp: false,
    });
    expect(run.outputs.vpcId).toBe('vpc-0abc');
  });

  it('leaves out Redis and the browser, and their outputs', () => {
    expect(run.resources.filter((r) => /elasticache|lambda|cloudfront/.test(r.type))).toEqual([]);
    expect(run.outputs.redisUrl).toBeUndefined();
    expect(run.outputs.galleryUrl).toBeUndefined();
    const env = taskEnvironment(run.resources);
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.FLEET_SIZE).toBe('30');
  });

  it('encrypts both queues with the key and lets the worker use it', () => {
    for (const q of run.ofType('aws:sqs/queue:Queue')) {
      expect(q.inputs.kmsMasterKeyId).toBe(KEY);
      expect(q.inputs.sqsManagedSseEnabled).toBeUndefined();
    }
    const task = parseJson<{ Statement: PolicyStatement[] }>(
      run.get('aws:iam/rolePolicy:RolePolicy', 'catalogue-worker-task-policy').inputs.policy,
    ).Statement;
    expect(task.find((s) => s.Sid === 'QueueKey')).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: KEY,
    });
    // The profile, and the model in exactly its regions, only through that profile: no region wildcard.
    const profileArn = `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${PROFILE}`;
    expect(task.find((s) => s.Sid === 'DescribeImagesProfile')?.Resource).toBe(profileArn);
    expect(task.find((s) => s.Sid === 'DescribeImagesThroughProfile')).toMatchObject({
      Resource: ['us-east-1', 'us-east-2', 'us-west-2'].map(
        (r) => `arn:aws:bedrock:${r}::foundation-model/anthropic.claude-haiku-5-5`,
      ),
      Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
    });
  });

  it('filters events by prefix only, and versions the image bucket', () => {
    const note = run.get('aws:s3/bucketNotification:BucketNotification', 'catalogue-events-notification');
    expect(note.inputs.queues).toEqual([
      expect.objectContaining({
        filterPrefix: 'photos/',
        events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*', 's3:LifecycleExpiration:*'],
      }),
    ]);
    expect((note.inputs.queues as Array<Record<string, unknown>>)[0]?.filterSuffix).toBeUndefined();
    const versioning = run.get('aws:s3/bucketVersioning:BucketVersioning', 'catalogue-images-versioning');
    expect(versioning.inputs).toMatchObject({
      bucket: 'catalogue-images-id',
      versioningConfiguration: { status: 'Enabled' },
    });
  });

  it('passes the derived and extra variables to a worker that accepts them', () => {
    const env = taskEnvironment(run.resources);
    expect(env).toMatchObject({
      MODEL_ID: PROFILE,
      HANDLER_TIMEOUT_SECONDS: '600',
      LOG_LEVEL: 'debug',
      MODEL_TIMEOUT_MS: '300000',
    });
    expect(loadConfig(env).model.timeoutMs).toBe(300_000);
    const queue = run.get('aws:sqs/queue:Queue', 'catalogue-events').inputs;
    expect(queue.visibilityTimeoutSeconds).toBe(3600);
    expect(parseJson(queue.redrivePolicy).maxReceiveCount).toBe(3);
  });

  it('runs ARM64 Spot tasks of the configured image and size', () => {
    const td = run.get('aws:ecs/taskDefinition:TaskDefinition', 'catalogue-worker').inputs;
    expect(td).toMatchObject({ cpu: '2048', memory: '4096', runtimePlatform: { cpuArchitecture: 'ARM64' } });
    expect(parseJson<Array<{ image: string }>>(td.containerDefinitions)[0]?.image).toBe(IMAGE);
    expect(run.outputs.workerImage).toBe(IMAGE);
    const capacity = run.get('aws:ecs/clusterCapacityProviders:ClusterCapacityProviders', 'catalogue-worker-capacity');
    const service = run.get('aws:ecs/service:Service', 'catalogue-worker');
    expect(service.inputs.launchType).toBeUndefined();
    expect(service.inputs.capacityProviderStrategies).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(service.dependencies).toContain(capacity.urn);
    expect(run.get('aws:ecr/repository:Repository', 'catalogue-worker').inputs.imageTagMutability).toBe('IMMUTABLE');
  });

  it('scales from zero to 30 tasks in at most 20 steps and back to zero when idle', () => {
    expect(run.get('aws:ecs/service:Service', 'catalogue-worker').inputs.desiredCount).toBe(0);
    expect(run.get('aws:appautoscaling/target:Target', 'catalogue-fleet-target').inputs).toMatchObject({
      minCapacity: 0,
      maxCapacity: 30,
    });
    const steps = scaleOutSteps(30, 100);
    expect(steps).toHaveLength(20);
    expect(capacityForBacklog(steps, 1)).toBe(2);
    expect(capacityForBacklog(steps, 1_000_000)).toBe(30);
    const out = run.get('aws:appautoscaling/policy:Policy', 'catalogue-fleet-scale-out').inputs;
    expect((out.stepScalingPolicyConfiguration as { stepAdjustments: unknown[] }).stepAdjustments).toHaveLength(20);
    const scaleIn = run.get('aws:appautoscaling/policy:Policy', 'catalogue-fleet-scale-in').inputs;
    expect(scaleIn.stepScalingPolicyConfiguration).toMatchObject({
      adjustmentType: 'ExactCapacity',
      stepAdjustments: [{ metricIntervalUpperBound: '0', scalingAdjustment: 0 }],
    });
  });

  it('emails the alarms and allows deleting the table', () => {
    const sub = run.get('aws:sns/topicSubscription:TopicSubscription', 'catalogue-alarm-email').inputs;
    expect(sub).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com', topic: run.outputs.alarmTopicArn });
    expect(run.get('aws:dynamodb/table:Table', 'catalogue-table').inputs.deletionProtectionEnabled).toBe(false);
  });
});
