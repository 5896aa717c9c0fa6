import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * IAM policy documents written as plain objects rather than `aws.iam.getPolicyDocument`: the JSON is then visible
 * to the offline tests, which check every statement of every policy (no wildcard action, scoped resources).
 */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Record<string, pulumi.Input<string> | pulumi.Input<string>[]>;
  /** Always explicit actions: the tests reject `*` and `service:*`. */
  Action: string | string[];
  /** Absent only in trust policies. */
  Resource?: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;
}

/** A policy document as a JSON string output. */
export function policyDocument(statements: Statement[]): pulumi.Output<string> {
  return pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements });
}

/** The objects of a bucket, as an IAM resource. */
export function objectsOf(bucketArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`${bucketArn}/*`;
}

/** Account, region and partition of the deployment, looked up once per component. */
export interface AwsContext {
  accountId: pulumi.Output<string>;
  region: pulumi.Output<string>;
  partition: pulumi.Output<string>;
}

/** Looks up the account, region and partition the provider deploys to. */
export function awsContext(opts: pulumi.InvokeOutputOptions): AwsContext {
  return {
    accountId: aws.getCallerIdentityOutput({}, opts).accountId,
    region: aws.getRegionOutput({}, opts).region,
    partition: aws.getPartitionOutput({}, opts).partition,
  };
}

/**
 * A role a service assumes (ECS tasks, Lambda), with one inline policy. The trust policy is limited to this account
 * (`aws:SourceAccount`) against confused-deputy use.
 */
export function serviceRole(
  name: string,
  args: { service: string; statements: Statement[]; accountId: pulumi.Input<string>; description: string },
  opts: pulumi.CustomResourceOptions,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
  const role = new aws.iam.Role(
    name,
    {
      description: args.description,
      assumeRolePolicy: policyDocument([
        {
          Effect: 'Allow',
          Principal: { Service: args.service },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': args.accountId } },
        },
      ]),
    },
    opts,
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    { role: role.id, policy: policyDocument(args.statements) },
    opts,
  );
  return { role, policy };
}
