import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * IAM policy documents written as plain objects rather than `aws.iam.getPolicyDocument`: the JSON is then visible
 * to the offline tests, which check every statement of every policy (no wildcard action, scoped resources).
 */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  /** `*` only in a Deny (the TLS-only statements). */
  Principal?: '*' | Record<string, pulumi.Input<string> | pulumi.Input<string>[]>;
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

/** Refuses every request that does not come over TLS, whoever makes it (a Deny beats any Allow). */
export function tlsOnly(service: 's3' | 'sqs', resources: pulumi.Input<string>[]): Statement {
  return {
    Sid: 'TlsOnly',
    Effect: 'Deny',
    Principal: '*',
    Action: `${service}:*`,
    Resource: resources,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/** Named indexes of a table, as IAM resources: never `index/*`, so a new index is not readable by accident. */
export function indexesOf(tableArn: pulumi.Input<string>, names: readonly string[]): pulumi.Output<string>[] {
  return names.map((n) => pulumi.interpolate`${tableArn}/index/${n}`);
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
  args: {
    service: string;
    statements: Statement[];
    accountId: pulumi.Input<string>;
    description: string;
    /**
     * Lambda@Edge: its replicas in CloudFront's regions assume the role as edgelambda.amazonaws.com, which carries
     * no source-account context to condition on; only the function this role is given to can use it.
     */
    edge?: boolean;
  },
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
        ...(args.edge
          ? [
              {
                Effect: 'Allow' as const,
                Principal: { Service: 'edgelambda.amazonaws.com' },
                Action: 'sts:AssumeRole',
              },
            ]
          : []),
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
