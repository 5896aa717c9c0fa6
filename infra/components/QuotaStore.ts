import { randomBytes } from 'node:crypto';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../stackConfigSchema.ts';
import { childOptions } from './childOptions.ts';
import type { Network } from './Network.ts';

const REDIS_PORT = 6379;

export interface QuotaStoreArgs {
  config: Pick<StackConfig, 'redisReplicas' | 'redisNodeType'>;
  /** The VPC, subnets and the workers' security group, the only one let in. */
  network: Network;
}

/**
 * The fleet's shared quota store: an ElastiCache Redis replication group, cluster mode disabled (one shard) so a
 * plain ioredis client and multi-key Lua scripts work without hash tags, which ElastiCache Serverless (always
 * clustered) would need. TLS in transit and encryption at rest; reachable only from the workers' security group.
 * No snapshots: the token bucket is recreated empty after a restart by design, so there is nothing to keep.
 * Redis AUTH: a random token, set on the replication group and kept, inside the whole `rediss://:token@host` URL, in
 * a Secrets Manager secret that ECS hands to the workers as REDIS_URL (never a plain environment value).
 */
export class QuotaStore extends pulumi.ComponentResource {
  readonly replicationGroup: aws.elasticache.ReplicationGroup;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly subnetGroup: aws.elasticache.SubnetGroup;
  /** `rediss://` (TLS) URL of the primary, without the token: for people. */
  readonly url: pulumi.Output<string>;
  /** The secret holding the URL with the AUTH token: the workers' REDIS_URL. */
  readonly urlSecret: aws.secretsmanager.Secret;

  constructor(name: string, args: QuotaStoreArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:QuotaStore', name, {}, opts);
    const child = childOptions(this, opts);
    const { config, network } = args;
    const securityGroup = redisSecurityGroup(name, network, child);
    const subnetGroup = new aws.elasticache.SubnetGroup(
      `${name}-redis`,
      { description: 'image-catalogue quota store', subnetIds: network.subnetIds },
      child,
    );
    // Made here once: `ignoreChanges` keeps the first value on later runs (the program cannot read it back).
    const authToken = pulumi.secret(randomBytes(32).toString('hex'));
    const replicas = config.redisReplicas;
    const replicationGroup = new aws.elasticache.ReplicationGroup(
      `${name}-redis`,
      {
        description: 'image-catalogue fleet-wide Bedrock quota bucket',
        engine: 'redis',
        engineVersion: '7.1',
        nodeType: config.redisNodeType,
        port: REDIS_PORT,
        numCacheClusters: 1 + replicas,
        automaticFailoverEnabled: replicas > 0,
        multiAzEnabled: replicas > 0,
        transitEncryptionEnabled: true,
        authToken,
        atRestEncryptionEnabled: true,
        subnetGroupName: subnetGroup.name,
        securityGroupIds: [securityGroup.id],
        snapshotRetentionLimit: 0,
        applyImmediately: true,
      },
      { ...child, ignoreChanges: ['authToken'] },
    );
    const url = pulumi.interpolate`rediss://${replicationGroup.primaryEndpointAddress}:${REDIS_PORT}`;
    this.urlSecret = urlWithToken(name, { replicationGroup, authToken }, child);
    this.replicationGroup = replicationGroup;
    this.securityGroup = securityGroup;
    this.subnetGroup = subnetGroup;
    this.url = url;
    this.registerOutputs({ redisUrl: url });
  }
}

/** The store's group admits Redis from the workers' group only, and the workers' group may reach it. */
function redisSecurityGroup(name: string, network: Network, opts: pulumi.CustomResourceOptions): aws.ec2.SecurityGroup {
  const securityGroup = new aws.ec2.SecurityGroup(
    `${name}-redis`,
    {
      vpcId: network.vpcId,
      description: 'image-catalogue quota store: Redis from the workers only',
      ingress: [
        {
          description: 'Redis (TLS) from worker tasks',
          protocol: 'tcp',
          fromPort: REDIS_PORT,
          toPort: REDIS_PORT,
          securityGroups: [network.workerSecurityGroup.id],
        },
      ],
    },
    opts,
  );
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-redis-from-workers`,
    {
      securityGroupId: network.workerSecurityGroup.id,
      referencedSecurityGroupId: securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: REDIS_PORT,
      toPort: REDIS_PORT,
      description: 'Redis (TLS) to the quota store',
    },
    opts,
  );
  return securityGroup;
}

/** The secret holding the `rediss://` URL with the AUTH token, which the workers read as REDIS_URL. */
function urlWithToken(
  name: string,
  args: { replicationGroup: aws.elasticache.ReplicationGroup; authToken: pulumi.Output<string> },
  opts: pulumi.CustomResourceOptions,
): aws.secretsmanager.Secret {
  const secret = new aws.secretsmanager.Secret(
    `${name}-redis-url`,
    { description: 'image-catalogue quota store: rediss:// URL with the AUTH token (the workers REDIS_URL)' },
    opts,
  );
  new aws.secretsmanager.SecretVersion(
    `${name}-redis-url`,
    {
      secretId: secret.id,
      secretString: pulumi.secret(
        pulumi.interpolate`rediss://:${args.authToken}@${args.replicationGroup.primaryEndpointAddress}:${REDIS_PORT}`,
      ),
    },
    { ...opts, ignoreChanges: ['secretString'] },
  );
  return secret;
}
