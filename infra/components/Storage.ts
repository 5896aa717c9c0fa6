import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { type PrivateBucket, privateBucket } from '../privateBucket.ts';
import { childOptions } from './childOptions.ts';

export interface StorageArgs {
  /** Keep earlier versions of overwritten images. */
  imageBucketVersioning: boolean;
  /** Let `pulumi destroy` delete non-empty buckets. */
  forceDestroy: boolean;
}

/**
 * The two private buckets: the images to catalogue (the bucket whose events feed the queue) and the thumbnails the
 * worker writes for the browser (metadata-free copies, never the originals).
 */
export class Storage extends pulumi.ComponentResource {
  readonly images: PrivateBucket;
  readonly thumbnails: PrivateBucket;
  readonly imageBucket: aws.s3.Bucket;
  readonly thumbnailBucket: aws.s3.Bucket;

  constructor(name: string, args: StorageArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:Storage', name, {}, opts);
    const child = childOptions(this, opts);
    this.images = privateBucket(
      `${name}-images`,
      { versioning: args.imageBucketVersioning, forceDestroy: args.forceDestroy },
      child,
    );
    this.thumbnails = privateBucket(`${name}-thumbnails`, { forceDestroy: args.forceDestroy }, child);
    this.imageBucket = this.images.bucket;
    this.thumbnailBucket = this.thumbnails.bucket;
    this.registerOutputs({
      imageBucketName: this.imageBucket.bucket,
      thumbnailBucketName: this.thumbnailBucket.bucket,
    });
  }
}
