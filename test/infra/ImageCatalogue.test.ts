import { beforeAll, describe, expect, it } from 'vitest';
import { scaleOutSteps } from '../../infra/rules.ts';
import { DEFAULT_SUFFIXES } from '../../infra/stackConfigSchema.ts';
import { loadConfig } from '../../shared/config.ts';
import { catalogueCreateTableInput } from '../../shared/table.ts';
import { MOCK_ACCOUNT } from '../../tools/infra/mockRuntime.ts';
import type { PolicyStatement } from './policyChecks.ts';
import { taskEnvironment } from './policyChecks.ts';
import { parseJson, runStack, type StackRun } from './stackUnderMocks.ts';

// The default configuration: a stack with every part switched on (created VPC, Redis, browser).
let run: StackRun;
beforeAll(async () => {
  run = await runStack();
});

const T = {
  bucket: 'aws:s3/bucket:Bucket',
  queue: 'aws:sqs/queue:Queue',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  policy: 'aws:appautoscaling/policy:Policy',
};
const statements = (type: string, name: string, field = 'policy') =>
  parseJson<{ Statement: PolicyStatement[] }>(run.get(type, name).inputs[field]).Statement;

describe('ImageCatalogue with the default config', () => {
  it('exports what a user needs', () => {
    const o = run.outputs;
    const queue = run.get(T.queue, 'catalogue-events');
    expect(o.queueUrl).toBe(queue.state.url);
    expect(o.dlqUrl).toBe(run.get(T.queue, 'catalogue-events-dlq').state.url);
    expect(o.imageBucketName).toBe(run.get(T.bucket, 'catalogue-images').state.bucket);
    expect(o.tableName).toMatch(/^catalogue-table/);
    expect(o.workerImage).toBe(`${String(o.ecrRepositoryUrl)}:latest`);
    expect(o.galleryUrl).toBe('https://photos.example.com');
    expect(o.browserDistributionDomain).toBe('d111111abcdef8.cloudfront.net');
    expect(o.browserUserPoolId).toBe(run.get('aws:cognito/userPool:UserPool', 'catalogue-browser-users').id);
    expect(o.redisUrl).toMatch(/^rediss:\/\/.+:6379$/);
    for (const key of ['thumbnailBucketName', 'clusterName', 'serviceName', 'workerLogGroupName', 'alarmTopicArn']) {
      expect(o[key], key).toEqual(expect.any(String));
    }
  });

  it('builds one component of child components, each owning its part', () => {
    const [root, ...otherRoots] = run.resources.filter((r) => !r.parent);
    expect(otherRoots).toEqual([]);
    expect(root?.type).toBe('image-catalogue:index:ImageCatalogue');
    const parts = run.resources.filter((r) => r.parent === root?.urn);
    expect(parts.map((r) => r.type.split(':')[2]).sort()).toEqual([
      'Alarms',
      'BatchInference',
      'CatalogueBrowser',
      'CatalogueTable',
      'EventQueue',
      'Network',
      'QuotaStore',
      'Storage',
      'WorkerFleet',
    ]);
    // Every cloud resource belongs to a part, not to the root (provider look-ups are not resources).
    const partUrns = new Set(parts.map((r) => r.urn));
    expect(run.resources.filter((r) => r.custom && !partUrns.has(r.parent ?? ''))).toEqual([]);
    const partOf = (type: string, name: string) =>
      run.resources.find((r) => r.urn === run.get(type, name).parent)?.type.split(':')[2];
    expect(partOf(T.queue, 'catalogue-events-dlq')).toBe('EventQueue');
    expect(partOf(T.bucket, 'catalogue-images')).toBe('Storage');
    expect(partOf('aws:dynamodb/table:Table', 'catalogue-table')).toBe('CatalogueTable');
    expect(partOf('aws:ecs/service:Service', 'catalogue-worker')).toBe('WorkerFleet');
    expect(partOf(T.policy, 'catalogue-fleet-scale-out')).toBe('WorkerFleet');
    expect(partOf(T.bucket, 'catalogue-browser-site')).toBe('CatalogueBrowser');
  });

  it('keeps every resource findable under the root, its parent before the split into parts (no replacement)', () => {
    const root = run.resources.find((r) => !r.parent);
    const moved = run.resources.filter((r) => r.custom && r.parent !== root?.urn);
    expect(moved.length).toBeGreaterThan(50);
    expect(moved.filter((r) => !r.aliasParents.includes(root?.urn ?? '-'))).toEqual([]);
  });

  it('sends every create and remove event of an image suffix (lifecycle expirations too) to the queue, after the queue policy', () => {
    const queue = run.get(T.queue, 'catalogue-events');
    const note = run.get('aws:s3/bucketNotification:BucketNotification', 'catalogue-events-notification');
    const entries = note.inputs.queues as Array<Record<string, unknown>>;
    expect(note.inputs.bucket).toBe(run.get(T.bucket, 'catalogue-images').id);
    expect(entries.map((e) => e.filterSuffix)).toEqual(DEFAULT_SUFFIXES);
    for (const e of entries) {
      expect(e).toMatchObject({
        queueArn: queue.state.arn,
        events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*', 's3:LifecycleExpiration:*'],
      });
      expect(e.filterPrefix).toBeUndefined();
    }
    expect(note.dependencies).toContain(run.get('aws:sqs/queuePolicy:QueuePolicy', 'catalogue-events-s3-policy').urn);
  });

  it('lets only S3, for this bucket and account, send to the queue', () => {
    const [tls, s, ...rest] = statements('aws:sqs/queuePolicy:QueuePolicy', 'catalogue-events-s3-policy');
    expect(rest).toEqual([]);
    expect(tls).toMatchObject({ Sid: 'TlsOnly', Effect: 'Deny', Principal: '*' });
    expect(s).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: run.get(T.queue, 'catalogue-events').state.arn,
      Condition: {
        ArnEquals: { 'aws:SourceArn': run.get(T.bucket, 'catalogue-images').state.arn },
        StringEquals: { 'aws:SourceAccount': MOCK_ACCOUNT },
      },
    });
  });

  it('gives the queue a DLQ after 5 receives, room for 64 KB events and encryption', () => {
    const queue = run.get(T.queue, 'catalogue-events').inputs;
    const dlq = run.get(T.queue, 'catalogue-events-dlq');
    expect(parseJson(queue.redrivePolicy)).toEqual({ deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 10 });
    expect(queue.maxMessageSize).toBeGreaterThanOrEqual(64 * 1024);
    expect(queue).toMatchObject({
      visibilityTimeoutSeconds: 1440,
      sqsManagedSseEnabled: true,
      receiveWaitTimeSeconds: 20,
    });
    expect(dlq.inputs).toMatchObject({ messageRetentionSeconds: 14 * 86_400, sqsManagedSseEnabled: true });
  });

  it('builds the catalogue table from shared/table.ts, on demand, with PITR, SSE and deletion protection', () => {
    const table = run.get('aws:dynamodb/table:Table', 'catalogue-table').inputs;
    const shared = catalogueCreateTableInput('x');
    expect(table).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'id',
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: true,
    });
    expect(table.attributes).toEqual(shared.AttributeDefinitions.map((a) => ({ name: a.AttributeName, type: 'S' })));
    expect(table.globalSecondaryIndexes).toEqual(
      shared.GlobalSecondaryIndexes.map((ix) => ({
        name: ix.IndexName,
        projectionType: 'ALL',
        keySchemas: ix.KeySchema.map((k) => ({ attributeName: k.AttributeName, keyType: k.KeyType })),
      })),
    );
  });

  it('gives the worker a complete, valid configuration', () => {
    const env = taskEnvironment(run.resources);
    expect(env).toMatchObject({
      QUEUE_URL: run.outputs.queueUrl,
      DLQ_URL: run.outputs.dlqUrl,
      TABLE_NAME: run.outputs.tableName,
      THUMBNAIL_BUCKET: run.outputs.thumbnailBucketName,
      MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0',
      QUOTA_RPM: '1000',
      QUOTA_TPM: '2000000',
      QUOTA_OUTPUT_BURNDOWN: '1',
      LIMITER_MAX_CONCURRENCY: '64',
      HANDLER_TIMEOUT_SECONDS: '240',
      FLEET_SIZE: '4',
      LOG_FORMAT: 'json',
      AWS_REGION: 'us-east-1',
    });
    // REDIS_URL carries the AUTH token: ECS reads it from Secrets Manager at start, it is never a plain value.
    expect(env.REDIS_URL).toBeUndefined();
    const td = run.get('aws:ecs/taskDefinition:TaskDefinition', 'catalogue-worker').inputs;
    const secret = run.get('aws:secretsmanager/secret:Secret', 'catalogue-quota-redis-url');
    expect(parseJson<Array<{ secrets: unknown }>>(td.containerDefinitions)[0]?.secrets).toEqual([
      { name: 'REDIS_URL', valueFrom: secret.state.arn },
    ]);
    const version = run.get('aws:secretsmanager/secretVersion:SecretVersion', 'catalogue-quota-redis-url').inputs;
    // Under mocks a secret input arrives wrapped: { <signature>, value }.
    const plain = (v: unknown) => String(v && typeof v === 'object' ? (v as { value: unknown }).value : v);
    const token = plain(
      run.get('aws:elasticache/replicationGroup:ReplicationGroup', 'catalogue-quota-redis').inputs.authToken,
    );
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(plain(version.secretString)).toBe(
      `rediss://:${token}@master.catalogue-quota-redis-0a1b2c3.abc123.use1.cache.amazonaws.com:6379`,
    );
    expect(statements(T.rolePolicy, 'catalogue-worker-execution-policy').find((s) => s.Sid === 'ReadRedisUrl')).toEqual(
      {
        Sid: 'ReadRedisUrl',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: secret.state.arn,
      },
    );
    // The worker's own schema accepts it: no task will die at start-up on a bad variable.
    expect(loadConfig({ ...env, REDIS_URL: plain(version.secretString) }).queueUrl).toBe(run.outputs.queueUrl);
  });

  it('grants the worker exactly its calls, each on its own resource', () => {
    const arn = (type: string, name: string) => run.get(type, name).state.arn;
    const images = arn(T.bucket, 'catalogue-images');
    const table = arn('aws:dynamodb/table:Table', 'catalogue-table');
    expect(statements(T.rolePolicy, 'catalogue-worker-task-policy')).toEqual([
      { Sid: 'ReadImages', Effect: 'Allow', Action: 's3:GetObject', Resource: `${images}/*` },
      { Sid: 'TellMissingFromForbidden', Effect: 'Allow', Action: 's3:ListBucket', Resource: images },
      {
        Sid: 'WriteThumbnails',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:DeleteObject'],
        Resource: `${arn(T.bucket, 'catalogue-thumbnails')}/*`,
      },
      {
        Sid: 'ConsumeQueue',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        Resource: arn(T.queue, 'catalogue-events'),
      },
      {
        Sid: 'PoisonToDlq',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arn(T.queue, 'catalogue-events-dlq'),
      },
      {
        Sid: 'Catalogue',
        Effect: 'Allow',
        Action: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
        ],
        Resource: [table, `${table}/index/byContent`],
      },
      {
        Sid: 'DescribeImages',
        Effect: 'Allow',
        Action: 'bedrock:InvokeModel',
        Resource: 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      },
    ]);
    const execution = statements(T.rolePolicy, 'catalogue-worker-execution-policy');
    expect(execution.find((s) => s.Sid === 'PullWorkerImage')?.Resource).toBe(
      arn('aws:ecr/repository:Repository', 'catalogue-worker'),
    );
  });

  it('runs the worker on Fargate in two private subnets of its own VPC, behind no ingress', () => {
    const subnets = run.ofType('aws:ec2/subnet:Subnet');
    expect(subnets.map((s) => s.inputs.availabilityZone)).toEqual(['us-east-1a', 'us-east-1b']);
    // No route out: no internet gateway, no NAT; AWS APIs through endpoints only.
    expect(run.get('aws:ec2/routeTable:RouteTable', 'catalogue-net-private').inputs.routes ?? []).toEqual([]);
    expect(run.ofType('aws:ec2/internetGateway:InternetGateway')).toEqual([]);
    const service = run.get('aws:ecs/service:Service', 'catalogue-worker').inputs;
    expect(service).toMatchObject({
      launchType: 'FARGATE',
      desiredCount: 1,
      networkConfiguration: { subnets: subnets.map((s) => s.id), assignPublicIp: false },
      deploymentCircuitBreaker: { enable: true, rollback: true },
    });
    const td = run.get('aws:ecs/taskDefinition:TaskDefinition', 'catalogue-worker').inputs;
    expect(td).toMatchObject({
      cpu: '1024',
      memory: '2048',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
    });
    expect(run.get('aws:ec2/securityGroup:SecurityGroup', 'catalogue-net-worker').inputs.ingress ?? []).toEqual([]);
  });

  it('reaches exactly the AWS APIs the worker calls, through endpoints, and nothing else', () => {
    const endpoints = run.ofType('aws:ec2/vpcEndpoint:VpcEndpoint');
    expect(
      endpoints
        .map(
          (e) =>
            `${String(e.inputs.serviceName).replace('com.amazonaws.us-east-1.', '')} ${String(e.inputs.vpcEndpointType)}`,
        )
        .sort(),
    ).toEqual(
      [
        'bedrock Interface',
        'bedrock-runtime Interface',
        'dynamodb Gateway',
        'ecr.api Interface',
        'ecr.dkr Interface',
        'logs Interface',
        's3 Gateway',
        'secretsmanager Interface',
        'sqs Interface',
        'sts Interface',
      ].sort(),
    );
    const worker = run.get('aws:ec2/securityGroup:SecurityGroup', 'catalogue-net-worker');
    const egress = run
      .ofType('aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule')
      .filter((r) => r.inputs.securityGroupId === worker.id)
      .map(
        (r) =>
          `${String(r.inputs.toPort)} ${String(r.inputs.referencedSecurityGroupId ?? r.inputs.prefixListId ?? r.inputs.cidrIpv4)}`,
      );
    expect(egress.sort()).toEqual(
      [
        '443 catalogue-net-endpoints-id',
        `443 ${String(run.get('aws:ec2/vpcEndpoint:VpcEndpoint', 'catalogue-net-s3').state.prefixListId)}`,
        `443 ${String(run.get('aws:ec2/vpcEndpoint:VpcEndpoint', 'catalogue-net-dynamodb').state.prefixListId)}`,
        '6379 catalogue-quota-redis-id',
      ].sort(),
    );
    expect(worker.inputs.egress ?? []).toEqual([]);
  });

  it('admits only the workers to an encrypted Redis', () => {
    const redis = run.get('aws:elasticache/replicationGroup:ReplicationGroup', 'catalogue-quota-redis').inputs;
    expect(redis).toMatchObject({ transitEncryptionEnabled: true, atRestEncryptionEnabled: true, numCacheClusters: 1 });
    const ingress = run.get('aws:ec2/securityGroup:SecurityGroup', 'catalogue-quota-redis').inputs.ingress;
    expect(ingress).toEqual([
      expect.objectContaining({ fromPort: 6379, toPort: 6379, securityGroups: ['catalogue-net-worker-id'] }),
    ]);
  });

  it('scales the service on the queue backlog, from the minimum to the maximum', () => {
    const target = run.get('aws:appautoscaling/target:Target', 'catalogue-fleet-target').inputs;
    expect(target).toMatchObject({ minCapacity: 1, maxCapacity: 4, scalableDimension: 'ecs:service:DesiredCount' });
    expect(target.resourceId).toBe(`service/${String(run.outputs.clusterName)}/${String(run.outputs.serviceName)}`);
    const out = run.get(T.policy, 'catalogue-fleet-scale-out');
    const steps = (out.inputs.stepScalingPolicyConfiguration as { stepAdjustments: unknown[] }).stepAdjustments;
    expect(steps).toEqual(
      scaleOutSteps(4, 500).map((s) => ({
        metricIntervalLowerBound: String(s.lowerBound),
        ...(s.upperBound === undefined ? {} : { metricIntervalUpperBound: String(s.upperBound) }),
        scalingAdjustment: s.capacity,
      })),
    );
    const backlog = run.get(T.alarm, 'catalogue-fleet-backlog').inputs;
    expect(backlog).toMatchObject({ threshold: 1, alarmActions: [out.state.arn] });
    const idle = run.get(T.alarm, 'catalogue-fleet-idle').inputs;
    expect(idle).toMatchObject({ evaluationPeriods: 15, treatMissingData: 'breaching' });
  });

  it('alarms on a non-empty DLQ and on old messages, to an SNS topic', () => {
    const topic = run.outputs.alarmTopicArn;
    const dlq = run.get(T.alarm, 'catalogue-dlq-not-empty').inputs;
    expect(dlq).toMatchObject({
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: run.get(T.queue, 'catalogue-events-dlq').state.name },
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      alarmActions: [topic],
    });
    const age = run.get(T.alarm, 'catalogue-oldest-message').inputs;
    expect(age).toMatchObject({ metricName: 'ApproximateAgeOfOldestMessage', threshold: 3600, alarmActions: [topic] });
    expect(run.ofType('aws:sns/topicSubscription:TopicSubscription')).toEqual([]);
  });
});
