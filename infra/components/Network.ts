import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../stackConfigSchema.ts';
import { childOptions } from './childOptions.ts';

export interface NetworkArgs {
  config: Pick<StackConfig, 'vpcId' | 'subnetIds' | 'assignPublicIp'>;
  /** The region, for the endpoints' service names. */
  region: pulumi.Input<string>;
}

const VPC_CIDR = '10.42.0.0/16';
const HTTPS = 443;

/**
 * The AWS APIs the worker and ECS call, each reached through an interface endpoint in the created VPC: queue, model
 * (runtime, and the control plane for the start-up model check), image pull (ECR API and registry), logs, STS and
 * the secret holding REDIS_URL. S3 (images, image layers) and DynamoDB use the free gateway endpoints.
 */
const INTERFACE_ENDPOINTS = [
  'sqs',
  'bedrock-runtime',
  'bedrock',
  'ecr.api',
  'ecr.dkr',
  'logs',
  'sts',
  'secretsmanager',
] as const;
const GATEWAY_ENDPOINTS = ['s3', 'dynamodb'] as const;

/**
 * Where the workers and the quota store run, and what they may reach. Either the configured VPC and subnets (which
 * must reach AWS APIs, through a NAT or endpoints of their own), or a VPC of its own with two private subnets and no
 * route to the internet at all: the tasks decode untrusted images, so they get no public IP and their egress is
 * HTTPS to the VPC endpoints (and Redis, added by the quota store), nothing else. Plain aws.ec2 resources, not
 * awsx, whose components are remote and invisible to the offline tests.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string[]>;
  readonly assignPublicIp: boolean;
  /** The workers' group: no ingress; egress rules are separate resources (the quota store adds Redis). */
  readonly workerSecurityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:Network', name, {}, opts);
    const child = childOptions(this, opts);
    const { config } = args;
    const created = config.vpcId ? undefined : privateVpc(name, args.region, child);
    this.vpcId = created?.vpcId ?? pulumi.output(config.vpcId);
    this.subnetIds = created?.subnetIds ?? pulumi.output(config.subnetIds);
    this.assignPublicIp = created ? false : config.assignPublicIp;
    this.workerSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-worker`,
      { vpcId: this.vpcId, description: 'image-catalogue workers: no ingress; egress to AWS APIs and Redis' },
      child,
    );
    const https = (rule: string, to: Partial<aws.vpc.SecurityGroupEgressRuleArgs>) =>
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-worker-${rule}`,
        {
          securityGroupId: this.workerSecurityGroup.id,
          ipProtocol: 'tcp',
          fromPort: HTTPS,
          toPort: HTTPS,
          description: `HTTPS to ${rule}`,
          ...to,
        },
        child,
      );
    if (created) {
      endpoints(name, { ...created, region: args.region, workers: this.workerSecurityGroup }, child);
      https('endpoints', { referencedSecurityGroupId: created.endpointSecurityGroup.id });
      for (const [service, prefixListId] of Object.entries(created.prefixLists)) https(service, { prefixListId });
    } else {
      // A VPC of the user's: AWS APIs are public addresses behind its NAT; HTTPS only.
      https('aws-apis', { cidrIpv4: '0.0.0.0/0' });
    }
    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds });
  }
}

interface PrivateVpc {
  vpcId: pulumi.Output<string>;
  subnetIds: pulumi.Output<string[]>;
  endpointSecurityGroup: aws.ec2.SecurityGroup;
  /** Prefix list of each gateway endpoint's service, for the egress rules. */
  prefixLists: Record<string, pulumi.Output<string>>;
}

/** A VPC with two private subnets in two zones, one route table without a default route, and gateway endpoints. */
function privateVpc(name: string, region: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): PrivateVpc {
  const vpc = new aws.ec2.Vpc(name, { cidrBlock: VPC_CIDR, enableDnsHostnames: true, enableDnsSupport: true }, opts);
  const routes = new aws.ec2.RouteTable(`${name}-private`, { vpcId: vpc.id }, opts);
  const zones = aws.getAvailabilityZonesOutput({ state: 'available' }, { parent: opts.parent });
  const subnets = [0, 1].map((i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-private-${i}`,
      {
        vpcId: vpc.id,
        cidrBlock: `10.42.${i}.0/24`,
        availabilityZone: zones.names.apply((names) => names[i] ?? names[0] ?? ''),
        mapPublicIpOnLaunch: false,
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
    return subnet;
  });
  const prefixLists: Record<string, pulumi.Output<string>> = {};
  for (const service of GATEWAY_ENDPOINTS) {
    const endpoint = new aws.ec2.VpcEndpoint(
      `${name}-${service}`,
      {
        vpcId: vpc.id,
        serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: [routes.id],
      },
      opts,
    );
    prefixLists[service] = endpoint.prefixListId;
  }
  const endpointSecurityGroup = new aws.ec2.SecurityGroup(
    `${name}-endpoints`,
    { vpcId: vpc.id, description: 'image-catalogue VPC endpoints: HTTPS from the workers only' },
    opts,
  );
  return { vpcId: vpc.id, subnetIds: pulumi.all(subnets.map((s) => s.id)), endpointSecurityGroup, prefixLists };
}

/** The interface endpoints (private DNS: the SDKs' default host names resolve to them) and who may use them. */
function endpoints(
  name: string,
  args: PrivateVpc & { region: pulumi.Input<string>; workers: aws.ec2.SecurityGroup },
  opts: pulumi.CustomResourceOptions,
): void {
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-endpoints-from-workers`,
    {
      securityGroupId: args.endpointSecurityGroup.id,
      referencedSecurityGroupId: args.workers.id,
      ipProtocol: 'tcp',
      fromPort: HTTPS,
      toPort: HTTPS,
      description: 'HTTPS from worker tasks',
    },
    opts,
  );
  for (const service of INTERFACE_ENDPOINTS) {
    new aws.ec2.VpcEndpoint(
      `${name}-${service.replace('.', '-')}`,
      {
        vpcId: args.vpcId,
        serviceName: pulumi.interpolate`com.amazonaws.${args.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: args.subnetIds,
        securityGroupIds: [args.endpointSecurityGroup.id],
      },
      opts,
    );
  }
}
