import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';

/** A bucket that nothing outside the account can read, with the resources that make it so. */
export interface PrivateBucket {
  bucket: aws.s3.Bucket;
  publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  encryption: aws.s3.BucketServerSideEncryptionConfiguration;
  ownership: aws.s3.BucketOwnershipControls;
  versioning?: aws.s3.BucketVersioning;
}

/**
 * A private bucket: all four public-access blocks on, default encryption (SSE-S3), ACLs disabled (bucket owner
 * enforced), and versioning when asked. Access is granted only through IAM or bucket policies.
 * @param options.versioning keep earlier object versions (default false)
 * @param options.forceDestroy let `pulumi destroy` delete a non-empty bucket (default false)
 */
export function privateBucket(
  name: string,
  options: { versioning?: boolean; forceDestroy?: boolean },
  opts: pulumi.CustomResourceOptions,
): PrivateBucket {
  const bucket = new aws.s3.Bucket(name, { forceDestroy: options.forceDestroy ?? false }, opts);
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
    opts,
  );
  const ownership = new aws.s3.BucketOwnershipControls(
    `${name}-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
    opts,
  );
  const versioning = options.versioning
    ? new aws.s3.BucketVersioning(
        `${name}-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } },
        opts,
      )
    : undefined;
  return { bucket, publicAccessBlock, encryption, ownership, versioning };
}
