import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../stackConfigSchema.ts';
import { childOptions } from './childOptions.ts';

export interface NetworkArgs {
  config: Pick<StackConfig, 'vpcId' | 'subnetIds' | 'assignPublicIp'>;
  /** The region, for the gateway endpoints' service names. */
  region: pulumi.Input<string>;
}

const VPC_CIDR = '10.42.0.0/16';

/**
 * Where the workers and the quota store run: the configured VPC and subnets, or a small VPC of its own: two public
 * subnets in two availability zones, an internet gateway and one route table. No NAT gateway (about $32 a month each): tasks get a public IP and reach AWS
 * APIs directly; free gateway endpoints keep S3 and DynamoDB traffic inside AWS. Plain aws.ec2 resources, not awsx,
 * whose components are remote and invisible to the offline tests.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string[]>;
  readonly assignPublicIp: boolean;
  /** The workers' group: no ingress, egress to AWS APIs. The Redis group admits only this one. */
  readonly workerSecurityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:Network', name, {}, opts);
    const child = childOptions(this, opts);
    const { config } = args;
    const { vpcId, subnetIds } = config.vpcId
      ? { vpcId: pulumi.output(config.vpcId), subnetIds: pulumi.output(config.subnetIds) }
      : smallVpc(name, args.region, child);
    this.vpcId = vpcId;
    this.subnetIds = subnetIds;
    this.assignPublicIp = config.vpcId ? config.assignPublicIp : true;
    this.workerSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-worker`,
      {
        vpcId,
        description: 'image-catalogue workers: no ingress; egress to AWS APIs and Redis',
        egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], ipv6CidrBlocks: ['::/0'] }],
      },
      child,
    );
    this.registerOutputs({ vpcId, subnetIds });
  }
}

function smallVpc(
  name: string,
  region: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): { vpcId: pulumi.Output<string>; subnetIds: pulumi.Output<string[]> } {
  const vpc = new aws.ec2.Vpc(name, { cidrBlock: VPC_CIDR, enableDnsHostnames: true, enableDnsSupport: true }, opts);
  const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id }, opts);
  const routes = new aws.ec2.RouteTable(
    `${name}-public`,
    { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: gateway.id }] },
    opts,
  );
  const zones = aws.getAvailabilityZonesOutput({ state: 'available' }, { parent: opts.parent });
  const subnets = [0, 1].map((i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-public-${i}`,
      {
        vpcId: vpc.id,
        cidrBlock: `10.42.${i}.0/24`,
        availabilityZone: zones.names.apply((names) => names[i] ?? names[0] ?? ''),
        mapPublicIpOnLaunch: false,
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
    return subnet;
  });
  for (const service of ['s3', 'dynamodb']) {
    new aws.ec2.VpcEndpoint(
      `${name}-${service}`,
      {
        vpcId: vpc.id,
        serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: [routes.id],
      },
      opts,
    );
  }
  return { vpcId: vpc.id, subnetIds: pulumi.all(subnets.map((s) => s.id)) };
}
