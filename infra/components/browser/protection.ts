import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { AwsContext } from '../../iam.ts';
import { bucketPolicy, privateBucket } from '../../privateBucket.ts';
import type { StackConfig } from '../../stackConfigSchema.ts';

const YEAR = 31_536_000;

/**
 * The security headers on every answer of the distribution, whatever the origin sent: the page's CSP (images only
 * from this site and the private thumbnail bucket's presigned URLs; nothing may frame it), HSTS for two years,
 * nosniff, DENY framing and no Referer (a presigned URL must not leak to another site).
 */
export function securityHeaders(
  name: string,
  args: { thumbnailBucket: aws.s3.Bucket },
  opts: pulumi.CustomResourceOptions,
): aws.cloudfront.ResponseHeadersPolicy {
  const csp = pulumi.interpolate`default-src 'self'; img-src 'self' data: https://${args.thumbnailBucket.bucketRegionalDomainName}; script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
  return new aws.cloudfront.ResponseHeadersPolicy(
    `${name}-headers`,
    {
      name: `${pulumi.getProject()}-${pulumi.getStack()}-browser`,
      comment: 'image-catalogue browser: security headers',
      securityHeadersConfig: {
        contentSecurityPolicy: { contentSecurityPolicy: csp, override: true },
        strictTransportSecurity: { accessControlMaxAgeSec: 2 * YEAR, includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: 'DENY', override: true },
        referrerPolicy: { referrerPolicy: 'no-referrer', override: true },
      },
    },
    opts,
  );
}

/** A rate limit per client IP (WAF, scope CLOUDFRONT, which lives in us-east-1); undefined when switched off. */
export function rateLimit(
  name: string,
  args: { config: StackConfig; usEast1: aws.Provider },
  opts: pulumi.CustomResourceOptions,
): aws.wafv2.WebAcl | undefined {
  if (args.config.browserRateLimit === 0) return undefined;
  const metric = (m: string) => ({ cloudwatchMetricsEnabled: true, metricName: m, sampledRequestsEnabled: true });
  return new aws.wafv2.WebAcl(
    `${name}-waf`,
    {
      description: 'image-catalogue browser: requests per client IP',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: args.config.browserRateLimit,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: metric('rate-per-ip'),
        },
      ],
      visibilityConfig: metric('image-catalogue-browser'),
    },
    { ...opts, provider: args.usEast1 },
  );
}

/**
 * CloudFront access logs (standard logging v2, through CloudWatch Logs delivery) into a private bucket of their own
 * in us-east-1: ACLs stay disabled (v1 logging needs them), plain HTTP is refused, logs expire after
 * browserAccessLogDays.
 */
export function accessLogs(
  name: string,
  args: {
    config: StackConfig;
    ctx: AwsContext;
    usEast1: aws.Provider;
    distribution: aws.cloudfront.Distribution;
  },
  opts: pulumi.CustomResourceOptions,
): aws.s3.Bucket {
  const logOpts = { ...opts, provider: args.usEast1 };
  const { ctx } = args;
  const bucket = privateBucket(
    `${name}-access-logs`,
    { forceDestroy: args.config.forceDestroy, ownPolicy: true },
    logOpts,
  );
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-access-logs-expiry`,
    {
      bucket: bucket.bucket.id,
      rules: [{ id: 'expire', status: 'Enabled', filter: {}, expiration: { days: args.config.browserAccessLogDays } }],
    },
    logOpts,
  );
  const sourceName = `${pulumi.getProject()}-${pulumi.getStack()}-cdn`;
  const source = new aws.cloudwatch.LogDeliverySource(
    `${name}-access-logs`,
    { name: sourceName, logType: 'ACCESS_LOGS', resourceArn: args.distribution.arn },
    logOpts,
  );
  bucketPolicy(
    `${name}-access-logs`,
    bucket,
    [
      {
        Sid: 'AccessLogsFromThisDistribution',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: pulumi.interpolate`${bucket.bucket.arn}/AWSLogs/${ctx.accountId}/CloudFront/*`,
        Condition: {
          StringEquals: { 'aws:SourceAccount': ctx.accountId, 's3:x-amz-acl': 'bucket-owner-full-control' },
          ArnLike: { 'aws:SourceArn': source.arn },
        },
      },
    ],
    logOpts,
  );
  const destination = new aws.cloudwatch.LogDeliveryDestination(
    `${name}-access-logs`,
    {
      name: `${pulumi.getProject()}-${pulumi.getStack()}-cdn-logs`,
      outputFormat: 'json',
      deliveryDestinationConfiguration: { destinationResourceArn: bucket.bucket.arn },
    },
    logOpts,
  );
  new aws.cloudwatch.LogDelivery(
    `${name}-access-logs`,
    { deliverySourceName: source.name, deliveryDestinationArn: destination.arn },
    { ...logOpts, dependsOn: [bucket.publicAccessBlock] },
  );
  return bucket.bucket;
}
