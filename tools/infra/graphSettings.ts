/**
 * The "key settings" column of the resource graph: for each resource type, the few inputs that say what the
 * resource does (a queue's visibility timeout and redrive, a policy's actions). Types without a summary show their
 * scalar inputs.
 */
type Inputs = Record<string, unknown>;

const obj = (v: unknown): Inputs => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Inputs) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const json = (v: unknown): Inputs => {
  if (typeof v !== 'string') return obj(v);
  try {
    return obj(JSON.parse(v));
  } catch {
    return {};
  }
};
const jsonArray = (v: unknown): unknown[] => {
  if (typeof v !== 'string') return arr(v);
  try {
    return arr(JSON.parse(v));
  } catch {
    return [];
  }
};
const set = (label: string, v: unknown) => (v === undefined || v === null || v === '' ? [] : [`${label}=${String(v)}`]);

function policySummary(policy: unknown): string[] {
  return arr(json(policy).Statement).map((s) => {
    const st = obj(s);
    const actions = arr(st.Action).length ? arr(st.Action) : [st.Action];
    const principal = obj(st.Principal).Service;
    return `${String(st.Sid ?? st.Effect)}: ${actions.join(' ')}${principal ? ` (from ${String(principal)})` : ''}`;
  });
}

function alarmSummary(i: Inputs): string[] {
  const expression = arr(i.metricQueries)
    .map((q) => obj(q).expression)
    .find(Boolean);
  const metric = expression ?? `${String(i.metricName)}`;
  return [
    `${String(metric)} ${String(i.comparisonOperator)} ${String(i.threshold)}`,
    ...set('periods', i.evaluationPeriods),
  ];
}

const SUMMARIES: Record<string, (i: Inputs) => string[]> = {
  'aws:s3/bucket:Bucket': (i) => set('forceDestroy', i.forceDestroy),
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': (i) =>
    i.blockPublicAcls && i.blockPublicPolicy && i.ignorePublicAcls && i.restrictPublicBuckets
      ? ['all public access blocked']
      : ['PUBLIC ACCESS NOT FULLY BLOCKED'],
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': (i) =>
    set('sse', obj(obj(arr(i.rules)[0]).applyServerSideEncryptionByDefault).sseAlgorithm),
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': (i) => [String(obj(i.rule).objectOwnership)],
  'aws:s3/bucketVersioning:BucketVersioning': (i) => set('versioning', obj(i.versioningConfiguration).status),
  'aws:s3/bucketNotification:BucketNotification': (i) => {
    const queues = arr(i.queues).map(obj);
    const first = queues[0] ?? {};
    return [
      `${queues.length} queue entries`,
      `events ${arr(first.events).join(' ')}`,
      ...set('prefix', first.filterPrefix),
      `suffixes ${queues.map((q) => q.filterSuffix ?? '(any)').join(' ')}`,
    ];
  },
  'aws:s3/bucketPolicy:BucketPolicy': (i) => policySummary(i.policy),
  'aws:s3/bucketObjectv2:BucketObjectv2': (i) => [String(i.key), String(i.contentType)],
  'aws:sqs/queue:Queue': (i) => [
    ...set('visibilityTimeout', i.visibilityTimeoutSeconds),
    ...set('maxMessageSize', i.maxMessageSize),
    ...set('retention', i.messageRetentionSeconds),
    i.kmsMasterKeyId ? 'KMS SSE' : i.sqsManagedSseEnabled ? 'SQS-managed SSE' : 'UNENCRYPTED',
    ...set('maxReceiveCount', json(i.redrivePolicy).maxReceiveCount),
  ],
  'aws:sqs/queuePolicy:QueuePolicy': (i) => [
    ...policySummary(i.policy),
    `conditions ${arr(json(i.policy).Statement)
      .flatMap((s) => Object.values(obj(obj(s).Condition)).flatMap((c) => Object.keys(obj(c))))
      .join(' ')}`,
  ],
  'aws:sqs/redriveAllowPolicy:RedriveAllowPolicy': (i) => set('redrive', json(i.redriveAllowPolicy).redrivePermission),
  'aws:dynamodb/table:Table': (i) => [
    String(i.billingMode),
    ...set('hashKey', i.hashKey),
    `GSIs ${arr(i.globalSecondaryIndexes)
      .map((g) => obj(g).name)
      .join(' ')}`,
    ...set('PITR', obj(i.pointInTimeRecovery).enabled),
    ...set('SSE', obj(i.serverSideEncryption).enabled),
    ...set('deletionProtection', i.deletionProtectionEnabled),
  ],
  'aws:iam/role:Role': (i) => [
    `assumed by ${arr(json(i.assumeRolePolicy).Statement)
      .map((s) => obj(obj(s).Principal).Service)
      .join(' ')}`,
  ],
  'aws:iam/rolePolicy:RolePolicy': (i) => policySummary(i.policy),
  'aws:ecr/repository:Repository': (i) => [
    ...set('scanOnPush', obj(i.imageScanningConfiguration).scanOnPush),
    ...set('tags', i.imageTagMutability),
  ],
  'aws:cloudwatch/logGroup:LogGroup': (i) => set('retentionDays', i.retentionInDays),
  'aws:cloudwatch/metricAlarm:MetricAlarm': alarmSummary,
  'aws:ecs/taskDefinition:TaskDefinition': (i) => {
    const container = obj(jsonArray(i.containerDefinitions)[0]);
    return [
      `cpu=${String(i.cpu)} memory=${String(i.memory)} ${String(obj(i.runtimePlatform).cpuArchitecture)}`,
      `env ${arr(container.environment)
        .map((e) => obj(e).name)
        .join(' ')}`,
    ];
  },
  'aws:ecs/service:Service': (i) => [
    String(i.launchType ?? 'capacity providers'),
    ...set('desiredCount', i.desiredCount),
    ...set('assignPublicIp', obj(i.networkConfiguration).assignPublicIp),
  ],
  'aws:appautoscaling/target:Target': (i) => [`${String(i.minCapacity)}..${String(i.maxCapacity)} tasks`],
  'aws:appautoscaling/policy:Policy': (i) => {
    const step = obj(i.stepScalingPolicyConfiguration);
    return [String(i.policyType), String(step.adjustmentType), `${arr(step.stepAdjustments).length} steps`];
  },
  'aws:elasticache/replicationGroup:ReplicationGroup': (i) => [
    `${String(i.engine)} ${String(i.engineVersion)} ${String(i.nodeType)} x${String(i.numCacheClusters)}`,
    ...set('transitEncryption', i.transitEncryptionEnabled),
    ...set('atRestEncryption', i.atRestEncryptionEnabled),
  ],
  'aws:lambda/function:Function': (i) => [
    `${String(i.runtime)} ${arr(i.architectures).join(' ')}`,
    ...set('handler', i.handler),
    ...set('memory', i.memorySize),
  ],
  'aws:lambda/functionUrl:FunctionUrl': (i) => set('auth', i.authorizationType),
  'aws:lambda/permission:Permission': (i) => [`${String(i.action)} from ${String(i.principal)}`],
  'aws:cloudfront/originAccessControl:OriginAccessControl': (i) => [
    `${String(i.originAccessControlOriginType)} ${String(i.signingBehavior)} ${String(i.signingProtocol)}`,
  ],
  'aws:cloudfront/distribution:Distribution': (i) => [
    `default -> ${String(obj(i.defaultCacheBehavior).targetOriginId)}`,
    ...arr(i.orderedCacheBehaviors).map((b) => `${String(obj(b).pathPattern)} -> ${String(obj(b).targetOriginId)}`),
    ...set('priceClass', i.priceClass),
  ],
  'aws:ec2/securityGroup:SecurityGroup': (i) => [
    `ingress ${
      arr(i.ingress).length
        ? arr(i.ingress)
            .map((r) => `${String(obj(r).fromPort)}/${String(obj(r).protocol)} from SG`)
            .join(' ')
        : 'none'
    }`,
    `egress ${arr(i.egress).length ? 'all' : 'none'}`,
  ],
};

const SKIPPED = new Set(['name', 'tags', 'region', 'description']);

/** The key settings of one resource, as short `label=value` phrases. */
export function keySettings(type: string, inputs: Inputs): string[] {
  const summary = SUMMARIES[type];
  if (summary) return summary(inputs);
  return Object.entries(inputs)
    .filter(([k, v]) => !SKIPPED.has(k) && ['string', 'number', 'boolean'].includes(typeof v))
    .filter(([, v]) => typeof v !== 'string' || (v.length <= 48 && !v.endsWith('-id')))
    .slice(0, 4)
    .map(([k, v]) => `${k}=${String(v)}`);
}
