import * as pulumi from '@pulumi/pulumi';
import { Alarms } from './components/Alarms.ts';
import { BatchInference } from './components/BatchInference.ts';
import { CatalogueBrowser } from './components/CatalogueBrowser.ts';
import { CatalogueTable } from './components/CatalogueTable.ts';
import { EventQueue } from './components/EventQueue.ts';
import { Network } from './components/Network.ts';
import { QuotaStore } from './components/QuotaStore.ts';
import { Storage } from './components/Storage.ts';
import { WorkerFleet } from './components/WorkerFleet.ts';
import { awsContext } from './iam.ts';
import type { StackConfig } from './stackConfigSchema.ts';

/** The stack outputs a user needs; optional parts are undefined when switched off. */
export interface ImageCatalogueOutputs {
  imageBucketName: pulumi.Output<string>;
  thumbnailBucketName: pulumi.Output<string>;
  queueUrl: pulumi.Output<string>;
  dlqUrl: pulumi.Output<string>;
  tableName: pulumi.Output<string>;
  ecrRepositoryUrl: pulumi.Output<string>;
  workerImage: pulumi.Output<string>;
  clusterName: pulumi.Output<string>;
  serviceName: pulumi.Output<string>;
  workerLogGroupName: pulumi.Output<string>;
  alarmTopicArn: pulumi.Output<string>;
  vpcId: pulumi.Output<string>;
  redisUrl?: pulumi.Output<string>;
  galleryUrl?: pulumi.Output<string>;
  /** backfill --mode batch: BATCH_BUCKET, BATCH_ROLE_ARN, and the policy to attach to its operator. */
  batchBucketName: pulumi.Output<string>;
  batchRoleArn: pulumi.Output<string>;
  batchOperatorPolicyArn: pulumi.Output<string>;
  /** The distribution's own name, for the browserDomain DNS record. */
  browserDistributionDomain?: pulumi.Output<string>;
  /** The Cognito user pool the team's users are added to (browserAuth cognito). */
  browserUserPoolId?: pulumi.Output<string>;
}

/**
 * The whole image catalogue, as one child component per part: storage, the event queue, the catalogue table, the
 * network, the quota store, the worker fleet (with its autoscaling), the alarms and the optional browser. This class
 * only wires them together; each part's resources are children of its component, which is a child of this one.
 */
export class ImageCatalogue extends pulumi.ComponentResource {
  readonly outputs: ImageCatalogueOutputs;

  constructor(name: string, config: StackConfig, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:ImageCatalogue', name, {}, opts);
    const child = { parent: this };
    const ctx = awsContext(child);

    const storage = new Storage(name, config, child);
    const { imageBucket, thumbnailBucket } = storage;
    const events = new EventQueue(`${name}-events`, { config, bucket: imageBucket, accountId: ctx.accountId }, child);
    const { table } = new CatalogueTable(
      `${name}-table`,
      { deletionProtection: config.tableDeletionProtection },
      child,
    );
    const network = new Network(`${name}-net`, { config, region: ctx.region }, child);
    const store =
      config.quotaStore === 'redis' ? new QuotaStore(`${name}-quota`, { config, network }, child) : undefined;
    const fleet = new WorkerFleet(
      name,
      {
        config,
        ctx,
        network,
        grants: { imageBucket, thumbnailBucket, queue: events.queue, dlq: events.dlq, table },
        redisUrlSecret: store?.urlSecret,
      },
      child,
    );
    const alarms = new Alarms(name, { config, queue: events.queue, dlq: events.dlq }, child);
    // Staged copies of images: a week is long enough for a job (at most 168 h) and its write-back.
    const batch = new BatchInference(
      `${name}-batch`,
      { ctx, model: config, expireAfterDays: 7, forceDestroy: config.forceDestroy },
      child,
    );
    const browser = config.browser
      ? new CatalogueBrowser(`${name}-browser`, { config, ctx, table, thumbnailBucket }, child)
      : undefined;

    this.outputs = {
      imageBucketName: imageBucket.bucket,
      thumbnailBucketName: thumbnailBucket.bucket,
      queueUrl: events.queue.url,
      dlqUrl: events.dlq.url,
      tableName: table.name,
      ecrRepositoryUrl: fleet.repository.repositoryUrl,
      workerImage: fleet.image,
      clusterName: fleet.cluster.name,
      serviceName: fleet.service.name,
      workerLogGroupName: fleet.logGroup.name,
      alarmTopicArn: alarms.topic.arn,
      vpcId: network.vpcId,
      redisUrl: store?.url,
      galleryUrl: browser?.url,
      batchBucketName: batch.staging.bucket.bucket,
      batchRoleArn: batch.serviceRole.arn,
      batchOperatorPolicyArn: batch.operatorPolicy.arn,
      browserDistributionDomain: browser?.distributionDomain,
      browserUserPoolId: browser?.signIn.userPool?.id,
    };
    this.registerOutputs({ ...this.outputs });
  }
}
