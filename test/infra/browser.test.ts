import { beforeAll, describe, expect, it } from 'vitest';
import type { PolicyStatement } from './policyChecks.ts';
import { parseJson, runStack, type StackRun } from './stackUnderMocks.ts';

// The browser is on by default; its files may be absent here (the FileArchive is never read under mocks).
let run: StackRun;
beforeAll(async () => {
  run = await runStack();
});

const T = {
  fn: 'aws:lambda/function:Function',
  url: 'aws:lambda/functionUrl:FunctionUrl',
  cdn: 'aws:cloudfront/distribution:Distribution',
  oac: 'aws:cloudfront/originAccessControl:OriginAccessControl',
  permission: 'aws:lambda/permission:Permission',
};

describe('catalogue browser', () => {
  it('runs the read-only API on Node 22 from the built folder', async () => {
    const fn = run.get(T.fn, 'catalogue-browser-api').inputs;
    expect(fn).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.handler' });
    // A deserialized asset holds its path as a promise.
    expect(await (fn.code as { path?: Promise<string> }).path).toBe('web/dist-lambda');
    expect((fn.environment as { variables: Record<string, string> }).variables).toMatchObject({
      TABLE_NAME: run.outputs.tableName,
      THUMBNAIL_BUCKET: run.outputs.thumbnailBucketName,
    });
  });

  it('serves /api/* from the function URL and the rest from the private page bucket, both signed by OAC', () => {
    const cdn = run.get(T.cdn, 'catalogue-browser-cdn').inputs;
    const origins = cdn.origins as Array<Record<string, unknown>>;
    const byId = Object.fromEntries(origins.map((o) => [o.originId, o]));
    expect(byId.api).toMatchObject({
      domainName: 'abc123xyz.lambda-url.us-east-1.on.aws',
      originAccessControlId: run.get(T.oac, 'catalogue-browser-lambda-oac').id,
    });
    expect(byId.page).toMatchObject({
      domainName: expect.stringMatching(/^catalogue-browser-site.*\.s3\.us-east-1\.amazonaws\.com$/),
      originAccessControlId: run.get(T.oac, 'catalogue-browser-s3-oac').id,
    });
    expect(cdn.defaultCacheBehavior).toMatchObject({
      targetOriginId: 'page',
      viewerProtocolPolicy: 'redirect-to-https',
    });
    expect(cdn.orderedCacheBehaviors).toEqual([
      expect.objectContaining({
        pathPattern: '/api/*',
        targetOriginId: 'api',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
      }),
    ]);
    expect(run.get(T.oac, 'catalogue-browser-lambda-oac').inputs).toMatchObject({
      originAccessControlOriginType: 'lambda',
      signingBehavior: 'always',
    });
  });

  it('lets only the distribution call the function URL (IAM auth, both permissions)', () => {
    expect(run.get(T.url, 'catalogue-browser-api').inputs.authorizationType).toBe('AWS_IAM');
    const cdnArn = run.get(T.cdn, 'catalogue-browser-cdn').state.arn;
    const permissions = run.ofType(T.permission).map((p) => p.inputs);
    expect(permissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'lambda:InvokeFunctionUrl',
          functionUrlAuthType: 'AWS_IAM',
          sourceArn: cdnArn,
        }),
        expect.objectContaining({ action: 'lambda:InvokeFunction', invokedViaFunctionUrl: true, sourceArn: cdnArn }),
      ]),
    );
    expect(permissions.every((p) => p.principal === 'cloudfront.amazonaws.com')).toBe(true);
  });

  it('lets only the distribution read the page bucket', () => {
    const policy = run.get('aws:s3/bucketPolicy:BucketPolicy', 'catalogue-browser-site-policy');
    const [tls, statement, ...rest] = parseJson<{ Statement: PolicyStatement[] }>(policy.inputs.policy).Statement;
    expect(rest).toEqual([]);
    expect(tls).toMatchObject({ Sid: 'TlsOnly', Effect: 'Deny' });
    expect(statement).toMatchObject({
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'AWS:SourceArn': run.get(T.cdn, 'catalogue-browser-cdn').state.arn } },
    });
  });

  it('gives the API role read access only: the table (no scans) and the worker-made copies it presigns', () => {
    const policy = run.get('aws:iam/rolePolicy:RolePolicy', 'catalogue-browser-api-policy');
    const byId = Object.fromEntries(
      parseJson<{ Statement: PolicyStatement[] }>(policy.inputs.policy).Statement.map((s) => [s.Sid, s]),
    );
    expect(byId.ReadCatalogue?.Action).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    // Never the uploaded originals: they keep their EXIF GPS block and the uploader's Content-Type.
    expect(byId.PresignImages).toMatchObject({
      Action: 's3:GetObject',
      Resource: `${String(run.get('aws:s3/bucket:Bucket', 'catalogue-thumbnails').state.arn)}/*`,
    });
    expect(Object.keys(byId).sort()).toEqual(['PresignImages', 'ReadCatalogue', 'WriteLogs']);
  });

  it('checks the sign-in on every viewer request of every behaviour, with the published edge function', () => {
    const cdn = run.get(T.cdn, 'catalogue-browser-cdn').inputs;
    const edge = run.get('aws:lambda/function:Function', 'catalogue-browser-sign-in');
    for (const b of [cdn.defaultCacheBehavior, ...(cdn.orderedCacheBehaviors as unknown[])] as Array<
      Record<string, unknown>
    >) {
      expect(b.lambdaFunctionAssociations).toEqual([
        { eventType: 'viewer-request', lambdaArn: edge.state.qualifiedArn, includeBody: false },
      ]);
    }
    // Lambda@Edge: published, x86_64, no environment, at most 5 s, deployed in us-east-1.
    expect(edge.inputs).toMatchObject({ publish: true, runtime: 'nodejs22.x', timeout: 5, memorySize: 128 });
    expect(edge.inputs.environment).toBeUndefined();
    expect(edge.inputs.architectures).toBeUndefined();
    const provider = run.resources.find((r) => r.type === 'pulumi:providers:aws');
    expect(provider?.inputs.region).toBe('us-east-1');
    const trust = parseJson<{ Statement: PolicyStatement[] }>(
      run.get('aws:iam/role:Role', 'catalogue-browser-sign-in').inputs.assumeRolePolicy,
    ).Statement;
    expect(trust.map((t) => (t.Principal as { Service: string }).Service)).toEqual([
      'lambda.amazonaws.com',
      'edgelambda.amazonaws.com',
    ]);
  });

  it('signs users of a Cognito pool the stack creates in, with a public PKCE client on the browser domain', () => {
    const pool = run.get('aws:cognito/userPool:UserPool', 'catalogue-browser-users').inputs;
    expect(pool.adminCreateUserConfig).toEqual({ allowAdminCreateUserOnly: true });
    const client = run.get('aws:cognito/userPoolClient:UserPoolClient', 'catalogue-browser-browser').inputs;
    expect(client).toMatchObject({
      generateSecret: false,
      allowedOauthFlows: ['code'],
      callbackUrls: ['https://photos.example.com/auth/callback'],
      logoutUrls: ['https://photos.example.com/auth/signed-out'],
    });
  });

  it('serves viewers on the team domain with its certificate, TLS 1.2 or later, behind a WAF rate limit', () => {
    const cdn = run.get(T.cdn, 'catalogue-browser-cdn').inputs;
    expect(cdn.aliases).toEqual(['photos.example.com']);
    expect(cdn.viewerCertificate).toEqual({
      acmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9',
      sslSupportMethod: 'sni-only',
      minimumProtocolVersion: 'TLSv1.2_2021',
    });
    const waf = run.get('aws:wafv2/webAcl:WebAcl', 'catalogue-browser-waf');
    expect(cdn.webAclId).toBe(waf.state.arn);
    expect(waf.inputs.scope).toBe('CLOUDFRONT');
    expect((waf.inputs.rules as Array<{ statement: unknown }>)[0]?.statement).toEqual({
      rateBasedStatement: { limit: 1000, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
    });
  });

  it('caps the API Lambda with reserved concurrency', () => {
    expect(run.get('aws:lambda/function:Function', 'catalogue-browser-api').inputs.reservedConcurrentExecutions).toBe(
      10,
    );
  });

  it('delivers access logs to a private bucket of their own, only from this distribution', () => {
    const source = run.get('aws:cloudwatch/logDeliverySource:LogDeliverySource', 'catalogue-browser-access-logs');
    expect(source.inputs).toMatchObject({
      logType: 'ACCESS_LOGS',
      resourceArn: run.get(T.cdn, 'catalogue-browser-cdn').state.arn,
    });
    const bucket = run.get('aws:s3/bucket:Bucket', 'catalogue-browser-access-logs');
    const destination = run.get(
      'aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination',
      'catalogue-browser-access-logs',
    );
    expect(destination.inputs.deliveryDestinationConfiguration).toEqual({ destinationResourceArn: bucket.state.arn });
    const policy = parseJson<{ Statement: PolicyStatement[] }>(
      run.get('aws:s3/bucketPolicy:BucketPolicy', 'catalogue-browser-access-logs-policy').inputs.policy,
    ).Statement;
    expect(policy[1]).toMatchObject({
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Condition: { ArnLike: { 'aws:SourceArn': source.state.arn } },
    });
  });
});
