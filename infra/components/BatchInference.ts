import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { type AwsContext, objectsOf, policyDocument, type Statement } from '../iam.ts';
import { type PrivateBucket, privateBucket } from '../privateBucket.ts';
import type { StackConfig } from '../stackConfigSchema.ts';
import { childOptions } from './childOptions.ts';

/** Staging prefixes (scripts/backfill/batch/manifest.ts `stagingLayout`): Bedrock reads one and writes the other. */
const BATCH_INPUT_PREFIX = 'input/';
const BATCH_OUTPUT_PREFIX = 'output/';

export interface BatchInferenceArgs {
  ctx: AwsContext;
  /** The model the jobs run: the operator may submit jobs for it only. */
  model: Pick<StackConfig, 'modelId' | 'inferenceProfileId' | 'inferenceProfileRegions'>;
  /** Days before staged input, job output and run manifests expire (they hold copies of the images). */
  expireAfterDays: number;
  forceDestroy: boolean;
}

/**
 * What `backfill --mode batch` needs: a private, encrypted staging bucket whose objects expire; the service role
 * Bedrock assumes to run the jobs (read only the input prefix, write only the output prefix; trusted only for this
 * account's model-invocation jobs, with the aws:SourceAccount and aws:SourceArn conditions AWS documents); and a
 * managed policy for the operator who submits and watches the jobs.
 */
export class BatchInference extends pulumi.ComponentResource {
  readonly staging: PrivateBucket;
  readonly lifecycle: aws.s3.BucketLifecycleConfiguration;
  readonly serviceRole: aws.iam.Role;
  readonly serviceRolePolicy: aws.iam.RolePolicy;
  readonly operatorPolicy: aws.iam.Policy;

  constructor(name: string, args: BatchInferenceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:BatchInference', name, {}, opts);
    const child = childOptions(this, opts);
    const { accountId, region, partition } = args.ctx;
    this.staging = privateBucket(`${name}-staging`, { forceDestroy: args.forceDestroy }, child);
    const bucket = this.staging.bucket;
    this.lifecycle = new aws.s3.BucketLifecycleConfiguration(
      `${name}-staging-expiry`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: 'expire-staging',
            status: 'Enabled',
            filter: { prefix: '' },
            expiration: { days: args.expireAfterDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      child,
    );
    const jobArns = pulumi.interpolate`arn:${partition}:bedrock:${region}:${accountId}:model-invocation-job/*`;
    this.serviceRole = new aws.iam.Role(
      `${name}-service-role`,
      {
        description: 'Assumed by Amazon Bedrock to run the catalogue batch inference jobs',
        assumeRolePolicy: policyDocument([
          {
            Effect: 'Allow',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': jobArns } },
          },
        ]),
      },
      child,
    );
    this.serviceRolePolicy = new aws.iam.RolePolicy(
      `${name}-service-role-policy`,
      { role: this.serviceRole.id, policy: policyDocument(serviceStatements(bucket.arn, accountId)) },
      child,
    );
    this.operatorPolicy = new aws.iam.Policy(
      `${name}-operator`,
      {
        description: 'Lets an operator run backfill --mode batch: submit and watch jobs, use the staging bucket',
        policy: policyDocument(operatorStatements(bucket.arn, this.serviceRole.arn, args.ctx, args.model)),
      },
      child,
    );
    this.registerOutputs({
      stagingBucketName: bucket.bucket,
      serviceRoleArn: this.serviceRole.arn,
      operatorPolicyArn: this.operatorPolicy.arn,
    });
  }
}

/** The service role: list and read the input prefix, write the output prefix, nothing else, in this account only. */
function serviceStatements(bucketArn: pulumi.Input<string>, accountId: pulumi.Input<string>): Statement[] {
  const owner = { StringEquals: { 'aws:ResourceAccount': accountId } };
  return [
    {
      Sid: 'ReadInput',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: pulumi.interpolate`${bucketArn}/${BATCH_INPUT_PREFIX}*`,
      Condition: owner,
    },
    {
      Sid: 'ListInput',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucketArn,
      Condition: { ...owner, StringLike: { 's3:prefix': [`${BATCH_INPUT_PREFIX}*`] } },
    },
    {
      Sid: 'WriteOutput',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: pulumi.interpolate`${bucketArn}/${BATCH_OUTPUT_PREFIX}*`,
      Condition: owner,
    },
  ];
}

/** The operator: the four job calls, passing only this role to Bedrock only, and the staging bucket. */
function operatorStatements(
  bucketArn: pulumi.Input<string>,
  roleArn: pulumi.Input<string>,
  ctx: AwsContext,
  model: BatchInferenceArgs['model'],
): Statement[] {
  const { accountId, region, partition } = ctx;
  return [
    {
      Sid: 'BatchJobs',
      Effect: 'Allow',
      Action: ['bedrock:CreateModelInvocationJob', 'bedrock:GetModelInvocationJob', 'bedrock:StopModelInvocationJob'],
      Resource: [
        pulumi.interpolate`arn:${partition}:bedrock:${region}:${accountId}:model-invocation-job/*`,
        ...modelArns(model, ctx),
      ],
    },
    // ListModelInvocationJobs has no resource-level permissions (Service Authorization Reference for Bedrock).
    { Sid: 'ListBatchJobs', Effect: 'Allow', Action: 'bedrock:ListModelInvocationJobs', Resource: '*' },
    {
      Sid: 'PassServiceRole',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roleArn,
      Condition: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
    },
    {
      Sid: 'Staging',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: objectsOf(bucketArn),
    },
    { Sid: 'StagingList', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn },
  ];
}

/**
 * The model a job runs, without a region wildcard (as the worker's grant): the foundation model in this region, or
 * the inference profile and the model in exactly the regions it routes to (a `global.` profile: the region-less ARN).
 */
function modelArns(model: BatchInferenceArgs['model'], ctx: AwsContext): pulumi.Output<string>[] {
  const { partition, region, accountId } = ctx;
  if (!model.inferenceProfileId) {
    return [pulumi.interpolate`arn:${partition}:bedrock:${region}::foundation-model/${model.modelId}`];
  }
  const regions = model.inferenceProfileId.startsWith('global.') ? [''] : model.inferenceProfileRegions;
  return [
    pulumi.interpolate`arn:${partition}:bedrock:${region}:${accountId}:inference-profile/${model.inferenceProfileId}`,
    ...regions.map((r) => pulumi.interpolate`arn:${partition}:bedrock:${r}::foundation-model/${model.modelId}`),
  ];
}
