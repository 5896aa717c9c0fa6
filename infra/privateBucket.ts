import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyDocument, type Statement, tlsOnly } from './iam.ts';

/** A bucket that nothing outside the account can read, with the resources that make it so. */
export interface PrivateBucket {
  bucket: aws.s3.Bucket;
  publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  encryption: aws.s3.BucketServerSideEncryptionConfiguration;
  ownership: aws.s3.BucketOwnershipControls;
  versioning?: aws.s3.BucketVersioning;
  /** Absent when the caller writes the policy itself with {@link bucketPolicy} (it needs a later resource). */
  policy?: aws.s3.BucketPolicy;
}

/**
 * A private bucket: all four public-access blocks on, default encryption (SSE-S3), ACLs disabled (bucket owner
 * enforced), a policy refusing plain HTTP, and versioning when asked. Access is granted only through IAM or bucket
 * policies.
 * @param options.versioning keep earlier object versions (default false)
 * @param options.forceDestroy let `pulumi destroy` delete a non-empty bucket (default false)
 * @param options.ownPolicy the caller adds the policy with {@link bucketPolicy} (default false: TLS-only alone)
 */
export function privateBucket(
  name: string,
  options: { versioning?: boolean; forceDestroy?: boolean; ownPolicy?: boolean },
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
  const made = { bucket, publicAccessBlock, encryption, ownership, versioning };
  return options.ownPolicy ? made : { ...made, policy: bucketPolicy(name, made, [], opts) };
}

/**
 * The one policy a bucket may have (a second BucketPolicy would replace the first): the TLS-only deny, then the
 * caller's statements. Applied after the public-access block.
 */
export function bucketPolicy(
  name: string,
  target: Pick<PrivateBucket, 'bucket' | 'publicAccessBlock'>,
  statements: Statement[],
  opts: pulumi.CustomResourceOptions,
): aws.s3.BucketPolicy {
  const { bucket } = target;
  return new aws.s3.BucketPolicy(
    `${name}-policy`,
    {
      bucket: bucket.id,
      policy: policyDocument([tlsOnly('s3', [bucket.arn, pulumi.interpolate`${bucket.arn}/*`]), ...statements]),
    },
    { ...opts, dependsOn: [target.publicAccessBlock] },
  );
}
