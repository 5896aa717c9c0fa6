import * as pulumi from '@pulumi/pulumi';

/**
 * Runs the Pulumi program offline: `pulumi.runtime.setMocks` answers every resource and provider call with fake
 * but well-formed state (ids, ARNs, URLs), and every registration is recorded with its inputs, its parent and its
 * dependencies. Used by the tests in test/infra/ and by `npm run infra:graph`. Never imported by the program itself.
 */

export const MOCK_ACCOUNT = '123456789012';
const MOCK_REGION = 'us-east-1';

/**
 * Config every mocked run starts from, under the caller's own: the keys that have no usable default because only the
 * user can know them (the browser's host name and certificate).
 */
export const EXAMPLE_CONFIG: Record<string, unknown> = {
  browserDomain: 'photos.example.com',
  browserCertificateArn: `arn:aws:acm:us-east-1:${MOCK_ACCOUNT}:certificate/0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9`,
};

/** One resource the program registered. */
export interface RecordedResource {
  urn: string;
  /** The physical id the mock gave it: `<name>-id`. */
  id: string;
  type: string;
  name: string;
  custom: boolean;
  /** URN of the parent resource; undefined for the top-level component. */
  parent?: string;
  /** URNs this resource depends on (explicit `dependsOn` and inputs taken from other resources). */
  dependencies: string[];
  /** Parent URNs of its aliases: the parents it had before, under which the engine will find it in existing stacks. */
  aliasParents: string[];
  inputs: Record<string, unknown>;
  /** The outputs the mock answered with (inputs plus fake ids, ARNs, URLs). */
  state: Record<string, unknown>;
}

export interface MockRuntime {
  /** Every resource registered so far, in registration order. */
  resources: RecordedResource[];
  /** Provider function calls (tokens) made so far. */
  calls: string[];
  /** Resolves once every pending registration has completed. */
  settle(): Promise<void>;
}

/** Fields of the monitor's RegisterResourceRequest this recorder reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getAliasesList(): Array<{ getSpec(): { getParenturn(): string } | undefined }>;
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, res?: RegisterResponse) => void;
interface MonitorLike {
  registerResource(req: RegisterRequest, callback: Callback): unknown;
}

/**
 * Installs the mocks and the stack config. Call before importing the program.
 * @param config stack config by key without the project prefix; non-strings are JSON-encoded (as the CLI does).
 * @param project project name (default `image-catalogue`, as in Pulumi.yaml)
 */
export async function startMockRuntime(
  config: Record<string, unknown> = {},
  project = 'image-catalogue',
  stack = 'test',
): Promise<MockRuntime> {
  const resources: RecordedResource[] = [];
  const calls: string[] = [];
  const pending = new Map<string, RecordedResource>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const id = `${args.name}-id`;
        const inputs = args.inputs as Record<string, unknown>;
        const state = fakeState(args.type, args.name, inputs);
        const record = pending.get(`${args.type}::${args.name}`);
        if (record) Object.assign(record, { id, inputs, state });
        return { id, state };
      },
      call: (args) => {
        calls.push(args.token);
        return fakeCall(args.token);
      },
    },
    project,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries({ ...EXAMPLE_CONFIG, ...config }).map(([k, v]) => [
        `${project}:${k}`,
        typeof v === 'string' ? v : JSON.stringify(v),
      ]),
    ),
  );
  // The mock monitor hides parents and dependencies from `newResource`; wrap its registration to see them.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const record: RecordedResource = {
      urn: '',
      id: '',
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent() || undefined,
      dependencies: [...req.getDependenciesList()],
      aliasParents: req
        .getAliasesList()
        .map((alias) => alias.getSpec()?.getParenturn() ?? '')
        .filter(Boolean),
      inputs: {},
      state: {},
    };
    pending.set(`${record.type}::${record.name}`, record);
    return register(req, (err, res) => {
      if (res) {
        record.urn = res.getUrn();
        resources.push(record);
      }
      callback(err, res);
    });
  };
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  return {
    resources,
    calls,
    settle: async () => {
      if (typeof runtime.waitForRPCs !== 'function') throw new Error('@pulumi/pulumi no longer has waitForRPCs');
      await runtime.waitForRPCs();
    },
  };
}

/** A stable physical name: the logical name plus a fixed suffix, like Pulumi's auto-naming. */
function physicalName(name: string, inputs: Record<string, unknown>): string {
  const given = inputs.name ?? inputs.bucket;
  return typeof given === 'string' && given ? given : `${name}-0a1b2c3`;
}

function fakeState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const [, module = 'x'] = type.split(':');
  const service = module.split('/')[0] ?? 'x';
  const physical = physicalName(name, inputs);
  const arn = `arn:aws:${service}:${MOCK_REGION}:${MOCK_ACCOUNT}:${physical}`;
  const base = { ...inputs, name: physical, arn };
  switch (type) {
    case 'aws:s3/bucket:Bucket':
      return {
        ...base,
        bucket: physical,
        arn: `arn:aws:s3:::${physical}`,
        bucketRegionalDomainName: `${physical}.s3.${MOCK_REGION}.amazonaws.com`,
      };
    case 'aws:sqs/queue:Queue':
      return { ...base, url: `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/${physical}` };
    case 'aws:dynamodb/table:Table':
      return { ...base, arn: `arn:aws:dynamodb:${MOCK_REGION}:${MOCK_ACCOUNT}:table/${physical}` };
    case 'aws:ecr/repository:Repository':
      return { ...base, repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${physical}` };
    case 'aws:iam/role:Role':
      return { ...base, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${physical}` };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { ...base, arn: `arn:aws:logs:${MOCK_REGION}:${MOCK_ACCOUNT}:log-group:${physical}` };
    case 'aws:elasticache/replicationGroup:ReplicationGroup':
      return { ...base, primaryEndpointAddress: `master.${physical}.abc123.use1.cache.amazonaws.com` };
    case 'aws:lambda/functionUrl:FunctionUrl':
      return { ...base, functionUrl: `https://abc123xyz.lambda-url.${MOCK_REGION}.on.aws/` };
    case 'aws:cloudfront/distribution:Distribution':
      return {
        ...base,
        domainName: 'd111111abcdef8.cloudfront.net',
        arn: `arn:aws:cloudfront::${MOCK_ACCOUNT}:distribution/E2MOCKDIST`,
      };
    case 'aws:lambda/function:Function':
      return {
        ...base,
        arn: `arn:aws:lambda:${MOCK_REGION}:${MOCK_ACCOUNT}:function:${physical}`,
        qualifiedArn: `arn:aws:lambda:${MOCK_REGION}:${MOCK_ACCOUNT}:function:${physical}:1`,
        version: '1',
      };
    case 'aws:cognito/userPool:UserPool':
      return {
        ...base,
        id: `${MOCK_REGION}_MockPool1`,
        endpoint: `cognito-idp.${MOCK_REGION}.amazonaws.com/${MOCK_REGION}_MockPool1`,
      };
    case 'aws:cognito/userPoolClient:UserPoolClient':
      return { ...base, id: '1example23456789abcdefghij' };
    case 'aws:ec2/vpcEndpoint:VpcEndpoint':
      return { ...base, prefixListId: `pl-${name.length.toString(16).padStart(8, '0')}` };
    case 'aws:ecs/taskDefinition:TaskDefinition':
      return { ...base, arn: `arn:aws:ecs:${MOCK_REGION}:${MOCK_ACCOUNT}:task-definition/${String(inputs.family)}:1` };
    default:
      return base;
  }
}

function fakeCall(token: string): Record<string, unknown> {
  switch (token) {
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return {
        accountId: MOCK_ACCOUNT,
        arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`,
        userId: 'MOCK',
        id: MOCK_ACCOUNT,
      };
    case 'aws:index/getRegion:getRegion':
      return { region: MOCK_REGION, name: MOCK_REGION, id: MOCK_REGION, endpoint: `ec2.${MOCK_REGION}.amazonaws.com` };
    case 'aws:index/getPartition:getPartition':
      return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws', reverseDnsPrefix: 'com.amazonaws' };
    case 'aws:index/getAvailabilityZones:getAvailabilityZones':
      return { names: [`${MOCK_REGION}a`, `${MOCK_REGION}b`, `${MOCK_REGION}c`], zoneIds: ['use1-az1', 'use1-az2'] };
    default:
      throw new Error(`no mock for provider function ${token}`);
  }
}
