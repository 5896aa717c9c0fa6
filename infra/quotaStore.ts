import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { Network } from './network.ts';
import type { StackConfig } from './stackConfigSchema.ts';

export const REDIS_PORT = 6379;

export interface QuotaStore {
  replicationGroup: aws.elasticache.ReplicationGroup;
  securityGroup: aws.ec2.SecurityGroup;
  subnetGroup: aws.elasticache.SubnetGroup;
  /** `rediss://` (TLS) URL of the primary, for the workers' REDIS_URL. */
  url: pulumi.Output<string>;
}

/**
 * The fleet's shared quota store: an ElastiCache Redis replication group, cluster mode disabled (one shard) so a
 * plain ioredis client and multi-key Lua scripts work without hash tags, which ElastiCache Serverless (always
 * clustered) would need. TLS in transit and encryption at rest; reachable only from the workers' security group.
 * No snapshots: the token bucket is recreated empty after a restart by design, so there is nothing to keep.
 */
export function quotaStore(
  name: string,
  args: { config: StackConfig; network: Network },
  opts: pulumi.CustomResourceOptions,
): QuotaStore {
  const { config, network } = args;
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
  const subnetGroup = new aws.elasticache.SubnetGroup(
    `${name}-redis`,
    { description: 'image-catalogue quota store', subnetIds: network.subnetIds },
    opts,
  );
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
      atRestEncryptionEnabled: true,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [securityGroup.id],
      snapshotRetentionLimit: 0,
      applyImmediately: true,
    },
    opts,
  );
  const url = pulumi.interpolate`rediss://${replicationGroup.primaryEndpointAddress}:${REDIS_PORT}`;
  return { replicationGroup, securityGroup, subnetGroup, url };
}
