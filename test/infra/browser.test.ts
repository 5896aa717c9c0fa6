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
    const [statement, ...rest] = parseJson<{ Statement: PolicyStatement[] }>(policy.inputs.policy).Statement;
    expect(rest).toEqual([]);
    expect(statement).toMatchObject({
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'AWS:SourceArn': run.get(T.cdn, 'catalogue-browser-cdn').state.arn } },
    });
  });

  it('gives the API role read access only: the table and the objects it presigns', () => {
    const policy = run.get('aws:iam/rolePolicy:RolePolicy', 'catalogue-browser-api-policy');
    const byId = Object.fromEntries(
      parseJson<{ Statement: PolicyStatement[] }>(policy.inputs.policy).Statement.map((s) => [s.Sid, s]),
    );
    expect(byId.ReadCatalogue?.Action).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan']);
    expect(byId.PresignImages).toMatchObject({
      Action: 's3:GetObject',
      Resource: [
        `${String(run.get('aws:s3/bucket:Bucket', 'catalogue-images').state.arn)}/*`,
        `${String(run.get('aws:s3/bucket:Bucket', 'catalogue-thumbnails').state.arn)}/*`,
      ],
    });
    expect(Object.keys(byId).sort()).toEqual(['PresignImages', 'ReadCatalogue', 'WriteLogs']);
  });
});
