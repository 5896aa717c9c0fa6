import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CATALOGUE_TABLE } from '../../shared/table.ts';
import { type AwsContext, indexesOf, objectsOf, serviceRole } from '../iam.ts';
import { bucketPolicy, privateBucket } from '../privateBucket.ts';
import { siteObjects } from '../siteFiles.ts';
import type { StackConfig } from '../stackConfigSchema.ts';
import { accessLogs, rateLimit, securityHeaders } from './browser/protection.ts';
import { type SignIn, signIn } from './browser/signIn.ts';
import { childOptions } from './childOptions.ts';

/** AWS-managed CloudFront policies (fixed, documented ids, the same in every account). */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
/** Forwards query strings and headers except Host, which a Lambda function URL origin must not receive. */
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

export interface CatalogueBrowserArgs {
  config: StackConfig;
  ctx: AwsContext;
  table: aws.dynamodb.Table;
  thumbnailBucket: aws.s3.Bucket;
}

/**
 * The catalogue browser: a read-only API Lambda (Node 22) behind a function URL, and the static page in a private
 * bucket, both reachable only through one CloudFront distribution (`/api/*` to the function, the rest to the page).
 * The function URL uses AWS_IAM auth and CloudFront signs its requests with an origin access control, so the URL
 * cannot be called around CloudFront; the bucket likewise admits only this distribution. Every behaviour runs the
 * sign-in (Lambda@Edge, viewer request) before CloudFront serves anything, and sends the security headers; viewers
 * use the team's own name and certificate (TLS 1.2+); a WAF rate limit and access logs watch the door.
 */
export class CatalogueBrowser extends pulumi.ComponentResource {
  readonly api: aws.lambda.Function;
  readonly apiUrl: aws.lambda.FunctionUrl;
  readonly siteBucket: aws.s3.Bucket;
  readonly distribution: aws.cloudfront.Distribution;
  /** The page's address: `https://<browserDomain>`. */
  readonly url: pulumi.Output<string>;
  /** Where the browserDomain DNS record must point (CNAME or alias). */
  readonly distributionDomain: pulumi.Output<string>;
  readonly signIn: SignIn;
  readonly accessLogBucket: aws.s3.Bucket;

  constructor(name: string, args: CatalogueBrowserArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('image-catalogue:index:CatalogueBrowser', name, {}, opts);
    const child = childOptions(this, opts);
    // Lambda@Edge, the WAF for CloudFront and CloudFront's log delivery only exist in us-east-1.
    const usEast1 = new aws.Provider(`${name}-us-east-1`, { region: 'us-east-1' }, child);
    this.signIn = signIn(name, { config: args.config, ctx: args.ctx, usEast1 }, child);
    const { api, apiUrl } = apiFunction(name, args, child);
    this.api = api;
    this.apiUrl = apiUrl;
    const site = privateBucket(`${name}-site`, { forceDestroy: true, ownPolicy: true }, child);
    siteObjects(`${name}-site`, { bucket: site.bucket, dir: args.config.browserSitePath }, child);
    this.siteBucket = site.bucket;
    this.distribution = distribution(
      name,
      {
        config: args.config,
        siteBucket: site.bucket,
        apiUrl,
        signIn: this.signIn,
        headers: securityHeaders(name, { thumbnailBucket: args.thumbnailBucket }, child),
        waf: rateLimit(name, { config: args.config, usEast1 }, child),
      },
      child,
    );
    this.accessLogBucket = accessLogs(name, { ...args, usEast1, distribution: this.distribution }, child);
    allowCdnToInvoke(name, { api, distribution: this.distribution }, child);
    bucketPolicy(
      `${name}-site`,
      site,
      [
        {
          Sid: 'PageFromTheDistribution',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: objectsOf(site.bucket.arn),
          Condition: { StringEquals: { 'AWS:SourceArn': this.distribution.arn } },
        },
      ],
      child,
    );
    this.url = pulumi.output(`https://${args.config.browserDomain}`);
    this.distributionDomain = this.distribution.domainName;
    this.registerOutputs({ galleryUrl: this.url, browserDistributionDomain: this.distributionDomain });
  }
}

/** The API function with its log group, its role (read the catalogue, presign image URLs) and its function URL. */
function apiFunction(
  name: string,
  args: CatalogueBrowserArgs,
  opts: pulumi.CustomResourceOptions,
): { api: aws.lambda.Function; apiUrl: aws.lambda.FunctionUrl } {
  const { config, table } = args;
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-api-logs`, { retentionInDays: config.logRetentionDays }, opts);
  const { role } = serviceRole(
    `${name}-api`,
    {
      service: 'lambda.amazonaws.com',
      accountId: args.ctx.accountId,
      description: 'image-catalogue browser API: read the catalogue, presign image and thumbnail URLs',
      statements: [
        {
          Sid: 'ReadCatalogue',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:Query'],
          Resource: [
            table.arn,
            ...indexesOf(table.arn, [CATALOGUE_TABLE.byCategoryIndex.name, CATALOGUE_TABLE.byStatusIndex.name]),
          ],
        },
        {
          // Only the worker-made copies are ever presigned, never the uploaded originals.
          Sid: 'PresignImages',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: objectsOf(args.thumbnailBucket.arn),
        },
        {
          Sid: 'WriteLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: pulumi.interpolate`${logGroup.arn}:*`,
        },
      ],
    },
    opts,
  );
  const api = new aws.lambda.Function(
    `${name}-api`,
    {
      description: 'image-catalogue browser: read-only catalogue API',
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: config.browserLambdaHandler,
      // Built by `npm run build:web`; only read at deployment, never under the offline tests.
      code: new pulumi.asset.FileArchive(config.browserLambdaPath),
      role: role.arn,
      memorySize: 512,
      timeout: 10,
      // A ceiling on what a flood (or a bug) can cost: requests past it are throttled, not billed.
      reservedConcurrentExecutions: config.browserApiConcurrency,
      loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
      environment: {
        variables: {
          TABLE_NAME: table.name,
          THUMBNAIL_BUCKET: args.thumbnailBucket.bucket,
          LOG_FORMAT: 'json',
        },
      },
    },
    opts,
  );
  const apiUrl = new aws.lambda.FunctionUrl(
    `${name}-api`,
    { functionName: api.name, authorizationType: 'AWS_IAM' },
    opts,
  );
  return { api, apiUrl };
}

/** The origin access control with which CloudFront signs its requests to one kind of origin. */
function originAccessControl(
  name: string,
  kind: 'lambda' | 's3',
  opts: pulumi.CustomResourceOptions,
): aws.cloudfront.OriginAccessControl {
  return new aws.cloudfront.OriginAccessControl(
    `${name}-${kind}-oac`,
    {
      name: `${pulumi.getProject()}-${pulumi.getStack()}-${kind}`,
      description: `image-catalogue browser: CloudFront signs requests to the ${kind} origin`,
      originAccessControlOriginType: kind,
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    },
    opts,
  );
}

/**
 * One distribution: `/api/*` to the function URL (uncached), everything else to the page bucket; both behaviours
 * run the sign-in on the viewer request (before the cache: a cached page is never served to a stranger) and send the
 * security headers.
 */
function distribution(
  name: string,
  args: {
    config: StackConfig;
    siteBucket: aws.s3.Bucket;
    apiUrl: aws.lambda.FunctionUrl;
    signIn: SignIn;
    headers: aws.cloudfront.ResponseHeadersPolicy;
    waf?: aws.wafv2.WebAcl;
  },
  opts: pulumi.CustomResourceOptions,
): aws.cloudfront.Distribution {
  const guarded = {
    lambdaFunctionAssociations: [
      { eventType: 'viewer-request', lambdaArn: args.signIn.edgeFunction.qualifiedArn, includeBody: false },
    ],
    responseHeadersPolicyId: args.headers.id,
  };
  return new aws.cloudfront.Distribution(
    `${name}-cdn`,
    {
      enabled: true,
      comment: 'image-catalogue browser',
      aliases: [args.config.browserDomain],
      webAclId: args.waf?.arn,
      defaultRootObject: 'index.html',
      priceClass: args.config.browserPriceClass,
      httpVersion: 'http2and3',
      isIpv6Enabled: true,
      origins: origins(name, args, opts),
      defaultCacheBehavior: {
        targetOriginId: 'page',
        viewerProtocolPolicy: 'redirect-to-https',
        allowedMethods: ['GET', 'HEAD'],
        cachedMethods: ['GET', 'HEAD'],
        cachePolicyId: CACHING_OPTIMIZED,
        compress: true,
        ...guarded,
      },
      orderedCacheBehaviors: [
        {
          pathPattern: '/api/*',
          targetOriginId: 'api',
          viewerProtocolPolicy: 'https-only',
          // Read-only API: OAC cannot sign a POST body for Lambda anyway.
          allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
          cachedMethods: ['GET', 'HEAD'],
          cachePolicyId: CACHING_DISABLED,
          originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
          compress: true,
          ...guarded,
        },
      ],
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      // CloudFront's own *.cloudfront.net certificate accepts TLS 1.0 whatever is asked: a certificate of ours it is.
      viewerCertificate: {
        acmCertificateArn: args.config.browserCertificateArn,
        sslSupportMethod: 'sni-only',
        minimumProtocolVersion: 'TLSv1.2_2021',
      },
    },
    opts,
  );
}

/** The page bucket and the API's function URL, each reached with an origin access control that signs requests. */
function origins(
  name: string,
  args: { siteBucket: aws.s3.Bucket; apiUrl: aws.lambda.FunctionUrl },
  opts: pulumi.CustomResourceOptions,
): aws.types.input.cloudfront.DistributionOrigin[] {
  return [
    {
      originId: 'page',
      domainName: args.siteBucket.bucketRegionalDomainName,
      originAccessControlId: originAccessControl(name, 's3', opts).id,
    },
    {
      originId: 'api',
      domainName: args.apiUrl.functionUrl.apply((u) => new URL(u).host),
      originAccessControlId: originAccessControl(name, 'lambda', opts).id,
      customOriginConfig: {
        httpPort: 80,
        httpsPort: 443,
        originProtocolPolicy: 'https-only',
        originSslProtocols: ['TLSv1.2'],
      },
    },
  ];
}

/** Since October 2025 a function URL needs both permissions: InvokeFunctionUrl and InvokeFunction via the URL. */
function allowCdnToInvoke(
  name: string,
  args: { api: aws.lambda.Function; distribution: aws.cloudfront.Distribution },
  opts: pulumi.CustomResourceOptions,
): void {
  const common = { function: args.api.name, principal: 'cloudfront.amazonaws.com', sourceArn: args.distribution.arn };
  new aws.lambda.Permission(
    `${name}-api-url-from-cdn`,
    { ...common, action: 'lambda:InvokeFunctionUrl', functionUrlAuthType: 'AWS_IAM' },
    opts,
  );
  new aws.lambda.Permission(
    `${name}-api-invoke-from-cdn`,
    { ...common, action: 'lambda:InvokeFunction', invokedViaFunctionUrl: true },
    opts,
  );
}
