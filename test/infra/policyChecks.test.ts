import { describe, expect, it } from 'vitest';
import type { RecordedResource } from '../../tools/infra/mockRuntime.ts';
import {
  bucketViolations,
  cdnViolations,
  iamViolations,
  networkViolations,
  notificationViolations,
  publicIpViolations,
  queueViolations,
  redisViolations,
  tableViolations,
  tlsOnlyViolations,
  visibilityViolations,
} from './policyChecks.ts';

// Each check must catch a resource that breaks its rule; otherwise the stack tests would pass vacuously.
let n = 0;
function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<RecordedResource> = {}) {
  n += 1;
  return {
    urn: `urn:${n}`,
    id: `${name}-id`,
    type,
    name,
    custom: true,
    dependencies: [],
    aliasParents: [],
    inputs,
    state: { arn: `arn:${name}` },
    ...extra,
  } satisfies RecordedResource;
}

describe('policy checks', () => {
  it('flag a bucket without a public access block or encryption', () => {
    const bucket = res('aws:s3/bucket:Bucket', 'b', {});
    const partial = res('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'pab', {
      bucket: 'b-id',
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
    });
    expect(bucketViolations([bucket, partial])).toEqual([
      'b: public access not fully blocked',
      'b: no default encryption',
    ]);
  });

  it('flag an unencrypted queue and a queue without a DLQ', () => {
    const q = res('aws:sqs/queue:Queue', 'q', {});
    expect(queueViolations([q])).toEqual(['q: not encrypted', 'q: no dead-letter queue']);
    const dlq = res('aws:sqs/queue:Queue', 'dlq', { sqsManagedSseEnabled: true });
    const main = res('aws:sqs/queue:Queue', 'main', {
      sqsManagedSseEnabled: true,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:dlq', maxReceiveCount: 5 }),
    });
    expect(queueViolations([dlq, main])).toEqual([]);
  });

  it('flag wildcard actions, NotAction, public principals and "*" resources', () => {
    const policy = JSON.stringify({
      Statement: [
        { Sid: 'a', Effect: 'Allow', Action: 's3:*', Resource: 'arn:x' },
        { Sid: 'b', Effect: 'Allow', Action: ['sqs:SendMessage', '*'], Resource: 'arn:x' },
        { Sid: 'c', Effect: 'Allow', NotAction: 's3:GetObject', Resource: 'arn:x' },
        { Sid: 'd', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Sid: 'e', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:x' },
        { Sid: 'ok', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      ],
    });
    expect(iamViolations([res('aws:iam/rolePolicy:RolePolicy', 'p', { policy })])).toEqual([
      'p/a: wildcard action s3:*',
      'p/b: wildcard action *',
      'p/c: NotAction',
      'p/d: Resource "*"',
      'p/e: public principal',
    ]);
  });

  it('flag a visibility timeout under 6x the handler timeout, or a missing handler timeout', () => {
    const td = res('aws:ecs/taskDefinition:TaskDefinition', 'td', {
      containerDefinitions: JSON.stringify([{ environment: [{ name: 'HANDLER_TIMEOUT_SECONDS', value: '100' }] }]),
    });
    const q = res('aws:sqs/queue:Queue', 'q', { visibilityTimeoutSeconds: 599, redrivePolicy: '{}' });
    expect(visibilityViolations([td, q])).toEqual(['q: visibility 599 s < 6 x 100 s']);
    expect(visibilityViolations([q])).toEqual(['task definition: HANDLER_TIMEOUT_SECONDS is not set']);
  });

  it('flag a table without SSE or PITR', () => {
    expect(tableViolations([res('aws:dynamodb/table:Table', 't', {})])).toEqual(['t: no SSE', 't: no PITR']);
  });

  it('flag a notification that does not wait for the queue policy', () => {
    const policy = res('aws:sqs/queuePolicy:QueuePolicy', 'qp', {});
    const early = res('aws:s3/bucketNotification:BucketNotification', 'n', {});
    const late = res('aws:s3/bucketNotification:BucketNotification', 'm', {}, { dependencies: [policy.urn] });
    expect(notificationViolations([policy, early, late])).toEqual(['n: does not depend on the queue policy']);
  });

  it('flag a security group open to the internet', () => {
    const sg = res('aws:ec2/securityGroup:SecurityGroup', 'sg', { ingress: [{ cidrBlocks: ['0.0.0.0/0'] }] });
    expect(networkViolations([sg])).toEqual(['sg: ingress open to the internet']);
  });

  it('flag a wildcard region, account or table index where a narrower resource exists', () => {
    const policy = JSON.stringify({
      Statement: [
        { Sid: 'r', Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: 'arn:aws:bedrock:*::foundation-model/m' },
        { Sid: 'a', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:*:q' },
        {
          Sid: 'i',
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: 'arn:aws:dynamodb:us-east-1:1:table/t/index/*',
        },
        { Sid: 'ok', Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: 'arn:aws:bedrock:::foundation-model/m' },
        { Sid: 'deny', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b' },
      ],
    });
    expect(iamViolations([res('aws:iam/rolePolicy:RolePolicy', 'p', { policy })])).toEqual([
      'p/r: wildcard region in arn:aws:bedrock:*::foundation-model/m',
      'p/a: wildcard account in arn:aws:sqs:us-east-1:*:q',
      'p/i: every index (name them) in arn:aws:dynamodb:us-east-1:1:table/t/index/*',
    ]);
  });

  it('flag a bucket or queue without the TLS-only deny, or with one that misses the objects', () => {
    const bucket = res('aws:s3/bucket:Bucket', 'b', {}, { state: { arn: 'arn:aws:s3:::b' } });
    const queue = res('aws:sqs/queue:Queue', 'q', {}, { state: { arn: 'arn:q', url: 'https://q' } });
    const deny = (resource: string[]) =>
      JSON.stringify({
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: resource[0]!.startsWith('arn:aws:s3') ? 's3:*' : 'sqs:*',
            Resource: resource,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      });
    expect(tlsOnlyViolations([bucket, queue])).toEqual(['b: accepts plain HTTP', 'q: accepts plain HTTP']);
    const bucketOnly = res('aws:s3/bucketPolicy:BucketPolicy', 'bp', {
      bucket: 'b-id',
      policy: deny(['arn:aws:s3:::b']),
    });
    expect(tlsOnlyViolations([bucket, bucketOnly])).toEqual(['b: accepts plain HTTP']);
    const full = res('aws:s3/bucketPolicy:BucketPolicy', 'bp2', {
      bucket: 'b-id',
      policy: deny(['arn:aws:s3:::b', 'arn:aws:s3:::b/*']),
    });
    const qp = res('aws:sqs/queuePolicy:QueuePolicy', 'qp', { queueUrl: 'https://q', policy: deny(['arn:q']) });
    expect(tlsOnlyViolations([bucket, full, queue, qp])).toEqual([]);
  });

  it('flag a behaviour without viewer authentication or the headers policy, a weak policy and old TLS', () => {
    const headers = res('aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy', 'h', {
      securityHeadersConfig: {
        contentSecurityPolicy: { contentSecurityPolicy: "default-src 'self'; frame-ancestors 'none'" },
        strictTransportSecurity: { accessControlMaxAgeSec: 63_072_000 },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: 'no-referrer' },
      },
    });
    const weak = res('aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy', 'w', {
      securityHeadersConfig: { contentTypeOptions: { override: true } },
    });
    const auth = [{ eventType: 'viewer-request', lambdaArn: 'arn:fn:1' }];
    const cdn = res('aws:cloudfront/distribution:Distribution', 'cdn', {
      defaultCacheBehavior: { lambdaFunctionAssociations: auth, responseHeadersPolicyId: 'h-id' },
      orderedCacheBehaviors: [
        { pathPattern: '/api/*', responseHeadersPolicyId: 'h-id' },
        { pathPattern: '/x/*', lambdaFunctionAssociations: [{ eventType: 'origin-response', lambdaArn: 'a' }] },
        { pathPattern: '/y/*', lambdaFunctionAssociations: auth, responseHeadersPolicyId: 'w-id' },
      ],
      viewerCertificate: { cloudfrontDefaultCertificate: true },
    });
    expect(cdnViolations([headers, weak, cdn])).toEqual([
      'cdn /api/*: no viewer authentication',
      'cdn /x/*: no viewer authentication',
      'cdn /x/*: no response-headers policy',
      "cdn /y/*: no CSP with frame-ancestors 'none'",
      'cdn /y/*: no HSTS of a year',
      'cdn /y/*: no referrer policy',
      'cdn: viewers may use TLS older than 1.2',
    ]);
  });

  it('flag a task with a public IP and a subnet that hands them out', () => {
    const service = res('aws:ecs/service:Service', 'svc', { networkConfiguration: { assignPublicIp: true } });
    const subnet = res('aws:ec2/subnet:Subnet', 'sn', { mapPublicIpOnLaunch: true });
    const fine = res('aws:ecs/service:Service', 'ok', { networkConfiguration: { assignPublicIp: false } });
    expect(publicIpViolations([service, subnet, fine])).toEqual([
      'svc: tasks get a public IP',
      'sn: hands out public IPs',
    ]);
  });

  it('flag Redis without AUTH or without TLS', () => {
    const open = res('aws:elasticache/replicationGroup:ReplicationGroup', 'r', { transitEncryptionEnabled: true });
    const plain = res('aws:elasticache/replicationGroup:ReplicationGroup', 'p', { authToken: 'x' });
    const users = res('aws:elasticache/replicationGroup:ReplicationGroup', 'u', {
      transitEncryptionEnabled: true,
      userGroupIds: ['g'],
    });
    expect(redisViolations([open, plain, users])).toEqual(['r: Redis without AUTH', 'p: Redis without TLS']);
  });
});
