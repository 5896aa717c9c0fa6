import { beforeAll, describe, expect, it } from 'vitest';
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
import { runStack, type StackRun } from './stackUnderMocks.ts';

// Policy checks over EVERY resource the default stack registers.
let run: StackRun;
beforeAll(async () => {
  run = await runStack();
});

describe('policies over every resource of the default stack', () => {
  it('registers the resources the checks look at', () => {
    // Guards the checks below against passing vacuously on an empty or partial stack.
    const count = (suffix: string) => run.resources.filter((r) => r.type.endsWith(suffix)).length;
    expect(count(':Bucket')).toBe(5);
    expect(count('sqs/queue:Queue')).toBe(2);
    expect(count(':Table')).toBe(1);
    expect(count(':RolePolicy')).toBe(5);
    expect(count(':BucketNotification')).toBe(1);
  });

  it('blocks public access to and encrypts every bucket', () => {
    expect(bucketViolations(run.resources)).toEqual([]);
  });

  it('encrypts every queue and gives every queue but the DLQ a DLQ', () => {
    expect(queueViolations(run.resources)).toEqual([]);
  });

  it('has no wildcard action, no public principal and no "*" resource in any policy statement', () => {
    expect(iamViolations(run.resources)).toEqual([]);
  });

  it('sets the queue visibility timeout to at least 6x the worker handler timeout', () => {
    expect(visibilityViolations(run.resources)).toEqual([]);
  });

  it('encrypts the table and keeps point-in-time recovery', () => {
    expect(tableViolations(run.resources)).toEqual([]);
  });

  it('creates the bucket notification after the queue policy', () => {
    expect(notificationViolations(run.resources)).toEqual([]);
  });

  it('opens no security group to the internet', () => {
    expect(networkViolations(run.resources)).toEqual([]);
  });

  it('refuses plain HTTP on every bucket and both queues', () => {
    expect(tlsOnlyViolations(run.resources)).toEqual([]);
  });

  it('checks the viewer and sends the security headers on every CloudFront behaviour, over TLS 1.2+', () => {
    expect(run.ofType('aws:cloudfront/distribution:Distribution')).toHaveLength(1);
    expect(cdnViolations(run.resources)).toEqual([]);
  });

  it('gives no task a public IP', () => {
    expect(run.ofType('aws:ecs/service:Service')).toHaveLength(1);
    expect(publicIpViolations(run.resources)).toEqual([]);
  });

  it('requires AUTH and TLS on Redis', () => {
    expect(run.ofType('aws:elasticache/replicationGroup:ReplicationGroup')).toHaveLength(1);
    expect(redisViolations(run.resources)).toEqual([]);
  });

  it('limits every role trust policy to this account', () => {
    const roles = run.ofType('aws:iam/role:Role');
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      expect(String(role.inputs.assumeRolePolicy), role.name).toContain('"aws:SourceAccount":"123456789012"');
    }
  });
});
