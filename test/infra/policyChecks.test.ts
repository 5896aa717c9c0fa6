import { describe, expect, it } from 'vitest';
import type { RecordedResource } from '../../infra/mockRuntime.ts';
import {
  bucketViolations,
  iamViolations,
  networkViolations,
  notificationViolations,
  queueViolations,
  tableViolations,
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
});
