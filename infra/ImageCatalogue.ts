import * as pulumi from '@pulumi/pulumi';
import { alarms } from './alarms.ts';
import { browser } from './browser.ts';
import { catalogueTable } from './catalogueTable.ts';
import { awsContext } from './iam.ts';
import { network } from './network.ts';
import { eventQueue } from './queue.ts';
import { quotaStore } from './quotaStore.ts';
import { fleetScaling } from './scaling.ts';
import type { StackConfig } from './stackConfigSchema.ts';
import { privateBucket } from './storage.ts';
import { workerFleet, workerRepository } from './worker.ts';

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
}

/**
 * The whole image catalogue in one component: storage, the event queue, the catalogue table, the worker fleet with
 * its autoscaling and quota store, alarms and the optional browser. Every resource is a child of this component.
 */
export class ImageCatalogue extends pulumi.ComponentResource {
  readonly outputs: ImageCatalogueOutputs;

  constructor(name: string, config: StackConfig, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:ImageCatalogue', name, {}, opts);
    const child = { parent: this };
    const ctx = awsContext(child);

    const images = privateBucket(
      `${name}-images`,
      { versioning: config.imageBucketVersioning, forceDestroy: config.forceDestroy },
      child,
    );
    const thumbnails = privateBucket(`${name}-thumbnails`, { forceDestroy: config.forceDestroy }, child);
    const events = eventQueue(`${name}-events`, { config, bucket: images.bucket, accountId: ctx.accountId }, child);
    const table = catalogueTable(`${name}-table`, { deletionProtection: config.tableDeletionProtection }, child);

    const net = network(`${name}-net`, { config, region: ctx.region }, child);
    const store =
      config.quotaStore === 'redis' ? quotaStore(`${name}-quota`, { config, network: net }, child) : undefined;
    const repository = workerRepository(`${name}-worker`, config, child);
    const fleet = workerFleet(
      `${name}-worker`,
      {
        config,
        ctx,
        network: net,
        repository,
        grants: {
          imageBucket: images.bucket,
          thumbnailBucket: thumbnails.bucket,
          queue: events.queue,
          dlq: events.dlq,
          table,
        },
        redisUrl: store?.url,
      },
      child,
    );
    fleetScaling(
      `${name}-fleet`,
      { config, cluster: fleet.cluster, service: fleet.service, queue: events.queue },
      child,
    );
    const alerts = alarms(name, { config, queue: events.queue, dlq: events.dlq }, child);
    const web = config.browser
      ? browser(
          `${name}-browser`,
          { config, ctx, table, imageBucket: images.bucket, thumbnailBucket: thumbnails.bucket },
          child,
        )
      : undefined;

    this.outputs = {
      imageBucketName: images.bucket.bucket,
      thumbnailBucketName: thumbnails.bucket.bucket,
      queueUrl: events.queue.url,
      dlqUrl: events.dlq.url,
      tableName: table.name,
      ecrRepositoryUrl: repository.repositoryUrl,
      workerImage: fleet.image,
      clusterName: fleet.cluster.name,
      serviceName: fleet.service.name,
      workerLogGroupName: fleet.logGroup.name,
      alarmTopicArn: alerts.topic.arn,
      vpcId: net.vpcId,
      redisUrl: store?.url,
      galleryUrl: web?.url,
    };
    this.registerOutputs({ ...this.outputs });
  }
}
