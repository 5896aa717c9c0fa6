import { beforeAll, describe, expect, it } from 'vitest';
import { MOCK_ACCOUNT } from '../../tools/infra/mockRuntime.ts';
import type { PolicyStatement } from './policyChecks.ts';
import { parseJson, runStack, type StackRun } from './stackUnderMocks.ts';

let run: StackRun;
let staging: string;
let statements: PolicyStatement[];

beforeAll(async () => {
  run = await runStack();
  staging = String(run.get('aws:s3/bucket:Bucket', 'catalogue-batch-staging').state.arn);
  const policy = run.get('aws:iam/rolePolicy:RolePolicy', 'catalogue-batch-service-role-policy');
  statements = parseJson<{ Statement: PolicyStatement[] }>(policy.inputs.policy).Statement;
});

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);

/**
 * Whether the identity policy allows `action` on `resource` with the given request context: an Allow statement whose
 * action and resource match and whose every condition holds (IAM's rules for StringEquals and StringLike). No Deny
 * statements exist here, so an Allow decides.
 */
function allows(action: string, resource: string, context: Record<string, string> = {}): boolean {
  const ctx = { 'aws:ResourceAccount': MOCK_ACCOUNT, ...context };
  return statements.some((s) => {
    if (s.Effect !== 'Allow') return false;
    if (!list(s.Action as string | string[]).some((a) => glob(a, action))) return false;
    if (!list(s.Resource as string | string[]).some((r) => glob(String(r), resource))) return false;
    const conditions = (s.Condition ?? {}) as Record<string, Record<string, string | string[]>>;
    return Object.entries(conditions).every(([operator, keys]) =>
      Object.entries(keys).every(([key, expected]) => {
        const actual = ctx[key as keyof typeof ctx];
        if (actual === undefined) return false;
        if (operator === 'StringEquals') return list(expected).includes(actual);
        if (operator === 'StringLike') return list(expected).some((p) => glob(p, actual));
        throw new Error(`operator ${operator} not evaluated by this test`);
      }),
    );
  });
}

describe('batch inference: the service role Bedrock assumes', () => {
  it('reads only the staging input prefix', () => {
    expect(allows('s3:GetObject', `${staging}/input/run1/job-0000/part-0001.jsonl`)).toBe(true);
    expect(allows('s3:GetObject', `${staging}/output/run1/job-0000/abc/part-0001.jsonl.out`)).toBe(false);
    expect(allows('s3:GetObject', `${staging}/runs/run1/manifest.json`)).toBe(false);
    expect(allows('s3:GetObject', `${staging}/inputs-elsewhere/x.jsonl`)).toBe(false);
    const images = String(run.get('aws:s3/bucket:Bucket', 'catalogue-images').state.arn);
    expect(allows('s3:GetObject', `${images}/input/photo.jpg`)).toBe(false);
    expect(allows('s3:ListBucket', staging, { 's3:prefix': 'input/run1/job-0000/' })).toBe(true);
    expect(allows('s3:ListBucket', staging, { 's3:prefix': 'output/' })).toBe(false);
    expect(allows('s3:ListBucket', staging, { 's3:prefix': 'runs/' })).toBe(false);
    expect(allows('s3:ListBucket', staging)).toBe(false);
  });

  it('writes only the staging output prefix, and deletes nothing', () => {
    expect(allows('s3:PutObject', `${staging}/output/run1/job-0000/abc/manifest.json.out`)).toBe(true);
    expect(allows('s3:PutObject', `${staging}/input/run1/job-0000/part-0001.jsonl`)).toBe(false);
    expect(allows('s3:PutObject', `${staging}/runs/run1/manifest.json`)).toBe(false);
    for (const prefix of ['input', 'output', 'runs']) {
      expect(allows('s3:DeleteObject', `${staging}/${prefix}/x`)).toBe(false);
    }
  });

  it('holds only in this account (aws:ResourceAccount)', () => {
    expect(allows('s3:GetObject', `${staging}/input/x.jsonl`, { 'aws:ResourceAccount': '999999999999' })).toBe(false);
  });

  it('is trusted by Bedrock only for this account’s model-invocation jobs', () => {
    const role = run.get('aws:iam/role:Role', 'catalogue-batch-service-role');
    const [trust] = parseJson<{ Statement: PolicyStatement[] }>(role.inputs.assumeRolePolicy).Statement;
    expect(trust?.Principal).toEqual({ Service: 'bedrock.amazonaws.com' });
    expect(trust?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': MOCK_ACCOUNT },
      ArnLike: { 'aws:SourceArn': expect.stringMatching(new RegExp(`:${MOCK_ACCOUNT}:model-invocation-job/\\*$`)) },
    });
  });
});

describe('batch inference: staging bucket and operator', () => {
  it('expires everything staged and exports what the command needs', () => {
    const lifecycle = run.get(
      'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
      'catalogue-batch-staging-expiry',
    );
    expect(lifecycle.inputs.rules).toEqual([expect.objectContaining({ status: 'Enabled', expiration: { days: 7 } })]);
    expect(run.outputs.batchBucketName).toBe(run.get('aws:s3/bucket:Bucket', 'catalogue-batch-staging').state.bucket);
    expect(run.outputs.batchRoleArn).toEqual(expect.stringContaining('arn:aws:iam::'));
    expect(run.outputs.batchOperatorPolicyArn).toEqual(expect.any(String));
  });

  it('lets the operator pass only the service role, and only to Bedrock', () => {
    const policy = run.get('aws:iam/policy:Policy', 'catalogue-batch-operator');
    const ops = parseJson<{ Statement: PolicyStatement[] }>(policy.inputs.policy).Statement;
    const pass = ops.find((s) => s.Action === 'iam:PassRole');
    expect(pass?.Resource).toBe(run.outputs.batchRoleArn);
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } });
    const actions = ops.flatMap((s) => list(s.Action as string | string[]));
    expect(actions).toEqual(
      expect.arrayContaining([
        'bedrock:CreateModelInvocationJob',
        'bedrock:GetModelInvocationJob',
        'bedrock:ListModelInvocationJobs',
        'bedrock:StopModelInvocationJob',
      ]),
    );
  });
});
