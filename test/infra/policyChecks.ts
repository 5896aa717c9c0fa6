import type { RecordedResource } from '../../tools/infra/mockRuntime.ts';

/**
 * Policy checks over every resource the program registers (not only the ones a test thinks of): each returns a
 * list of violations, empty when the stack complies. Checked against hand-made bad resources in
 * policyChecks.test.ts, so a check that cannot fail would show up there.
 */
type Inputs = Record<string, unknown>;
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const ofType = (rs: readonly RecordedResource[], suffix: string) => rs.filter((r) => r.type.endsWith(suffix));
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Every IAM policy document found anywhere in a resource's inputs (JSON strings with a Statement list). */
function policyDocuments(r: RecordedResource): PolicyStatement[][] {
  const docs: PolicyStatement[][] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string' && v.includes('"Statement"')) {
      try {
        const doc = JSON.parse(v) as { Statement?: unknown };
        if (Array.isArray(doc.Statement)) docs.push(doc.Statement as PolicyStatement[]);
      } catch {
        // not JSON: not a policy
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(r.inputs);
  return docs;
}

export function bucketViolations(rs: readonly RecordedResource[]): string[] {
  const violations: string[] = [];
  for (const bucket of ofType(rs, ':Bucket').filter((r) => r.type === 'aws:s3/bucket:Bucket')) {
    const forBucket = (suffix: string) => ofType(rs, suffix).filter((r) => r.inputs.bucket === bucket.id);
    const blocks = forBucket(':BucketPublicAccessBlock');
    const fullyBlocked = blocks.some(
      (b) => b.inputs.blockPublicAcls && b.inputs.blockPublicPolicy && b.inputs.ignorePublicAcls,
    );
    if (!fullyBlocked || !blocks.some((b) => b.inputs.restrictPublicBuckets)) {
      violations.push(`${bucket.name}: public access not fully blocked`);
    }
    const sse = forBucket(':BucketServerSideEncryptionConfiguration').flatMap((e) => asList(e.inputs.rules));
    const algorithms = sse.map((rule) => (rule as Inputs).applyServerSideEncryptionByDefault as Inputs | undefined);
    if (!algorithms.some((a) => a?.sseAlgorithm === 'AES256' || a?.sseAlgorithm === 'aws:kms')) {
      violations.push(`${bucket.name}: no default encryption`);
    }
  }
  return violations;
}

export function queueViolations(rs: readonly RecordedResource[]): string[] {
  const queues = ofType(rs, ':Queue').filter((r) => r.type === 'aws:sqs/queue:Queue');
  const redrives = new Map(
    queues.map((q) => [q.name, JSON.parse(String(q.inputs.redrivePolicy ?? '{}')) as Inputs] as const),
  );
  const dlqArns = new Set([...redrives.values()].map((p) => p.deadLetterTargetArn));
  const arnOf = (q: RecordedResource) => q.state.arn;
  const violations: string[] = [];
  for (const q of queues) {
    if (!q.inputs.sqsManagedSseEnabled && !q.inputs.kmsMasterKeyId) violations.push(`${q.name}: not encrypted`);
    if (dlqArns.has(arnOf(q))) continue;
    const redrive = redrives.get(q.name) ?? {};
    if (!queues.some((other) => arnOf(other) === redrive.deadLetterTargetArn && other !== q)) {
      violations.push(`${q.name}: no dead-letter queue`);
    }
  }
  return violations;
}

function isWildcard(action: unknown): boolean {
  return typeof action === 'string' && (action === '*' || action.endsWith(':*'));
}

/** Actions with no resource-level permissions (Service Authorization Reference): `*` is their only resource. */
const STAR_ONLY_ACTIONS = ['ecr:GetAuthorizationToken', 'bedrock:ListModelInvocationJobs'];
/**
 * Wildcards in a resource ARN where a narrower form exists: a `*` region or account (name the regions: a profile
 * routes to a known list; `global.` profiles use the region-less ARN), and `index/*` on a table (name the indexes).
 */
function resourceWildcard(resource: unknown): string | undefined {
  if (typeof resource !== 'string' || !resource.startsWith('arn:')) return undefined;
  const [, , service, region, account] = resource.split(':');
  // Lambda@Edge logs in whichever region's edge ran it, to /aws/lambda/us-east-1.<function>: no narrower form exists.
  const edgeLogs = service === 'logs' && resource.includes(':log-group:/aws/lambda/us-east-1.');
  if (region?.includes('*') && !edgeLogs) return 'wildcard region';
  if (account?.includes('*')) return 'wildcard account';
  if (/:dynamodb:.*\/index\/\*$/.test(resource)) return 'every index (name them)';
  return undefined;
}

export function iamViolations(rs: readonly RecordedResource[]): string[] {
  const violations: string[] = [];
  for (const r of rs) {
    for (const statements of policyDocuments(r)) {
      for (const s of statements) {
        const label = `${r.name}/${s.Sid ?? s.Effect}`;
        // A Deny may be as broad as it likes (the TLS-only statements deny s3:* to everyone): only grants are checked.
        if (s.Effect === 'Deny') continue;
        if (s.NotAction !== undefined) violations.push(`${label}: NotAction`);
        for (const action of asList(s.Action)) {
          if (isWildcard(action)) violations.push(`${label}: wildcard action ${String(action)}`);
        }
        const identity = s.Principal === undefined;
        // `*` as a resource only where the action has no resource-level permissions.
        const starAllowed = asList(s.Action).every((a) => STAR_ONLY_ACTIONS.includes(String(a)));
        if (identity && s.Effect === 'Allow' && asList(s.Resource).includes('*') && !starAllowed) {
          violations.push(`${label}: Resource "*"`);
        }
        for (const resource of asList(s.Resource)) {
          const why = resourceWildcard(resource);
          if (why) violations.push(`${label}: ${why} in ${String(resource)}`);
        }
        if (s.Principal === '*' || (s.Principal as Inputs | undefined)?.AWS === '*') {
          violations.push(`${label}: public principal`);
        }
      }
    }
  }
  return violations;
}

/** Whether a statement list denies requests without TLS on every one of `arns`. */
function deniesPlainHttp(statements: PolicyStatement[], arns: string[]): boolean {
  const denied = statements
    .filter((s) => s.Effect === 'Deny' && s.Principal === '*')
    .filter((s) => String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false')
    .filter((s) => asList(s.Action).some((a) => a === 's3:*' || a === 'sqs:*' || a === '*'))
    .flatMap((s) => asList(s.Resource));
  return arns.every((arn) => denied.includes(arn));
}

/** Every bucket (and its objects) and every queue refuses requests that do not use TLS. */
export function tlsOnlyViolations(rs: readonly RecordedResource[]): string[] {
  const violations: string[] = [];
  for (const bucket of rs.filter((r) => r.type === 'aws:s3/bucket:Bucket')) {
    const arn = String(bucket.state.arn);
    const docs = ofType(rs, ':BucketPolicy')
      .filter((p) => p.inputs.bucket === bucket.id)
      .flatMap(policyDocuments);
    if (!docs.some((d) => deniesPlainHttp(d, [arn, `${arn}/*`]))) violations.push(`${bucket.name}: accepts plain HTTP`);
  }
  for (const queue of rs.filter((r) => r.type === 'aws:sqs/queue:Queue')) {
    const docs = ofType(rs, ':QueuePolicy')
      .filter((p) => p.inputs.queueUrl === queue.state.url)
      .flatMap(policyDocuments);
    if (!docs.some((d) => deniesPlainHttp(d, [String(queue.state.arn)]))) {
      violations.push(`${queue.name}: accepts plain HTTP`);
    }
  }
  return violations;
}

/** The headers every answer of the distribution must carry (a policy lacking one is as bad as none). */
function headersPolicyGaps(policy: RecordedResource | undefined): string[] {
  if (!policy) return ['no response-headers policy'];
  const h = (policy.inputs.securityHeadersConfig ?? {}) as Record<string, Inputs | undefined>;
  const gaps: string[] = [];
  if (!String(h.contentSecurityPolicy?.contentSecurityPolicy ?? '').includes("frame-ancestors 'none'")) {
    gaps.push("no CSP with frame-ancestors 'none'");
  }
  if (!(Number(h.strictTransportSecurity?.accessControlMaxAgeSec) >= 31_536_000)) gaps.push('no HSTS of a year');
  if (!h.contentTypeOptions) gaps.push('no nosniff');
  if (!h.referrerPolicy) gaps.push('no referrer policy');
  return gaps;
}

/**
 * Every behaviour of every distribution checks the viewer's session before anything is served (a Lambda@Edge
 * viewer-request function) and sends the security headers; viewers need TLS 1.2 or later.
 */
export function cdnViolations(rs: readonly RecordedResource[]): string[] {
  const violations: string[] = [];
  for (const cdn of ofType(rs, 'cloudfront/distribution:Distribution')) {
    const behaviours = [cdn.inputs.defaultCacheBehavior, ...asList(cdn.inputs.orderedCacheBehaviors)] as Inputs[];
    for (const b of behaviours) {
      const label = `${cdn.name} ${String(b?.pathPattern ?? 'default')}`;
      const viewerAuth = asList(b?.lambdaFunctionAssociations).some(
        (a) => (a as Inputs).eventType === 'viewer-request' && Boolean((a as Inputs).lambdaArn),
      );
      if (!viewerAuth) violations.push(`${label}: no viewer authentication`);
      const policy = rs.find((r) => r.type.endsWith(':ResponseHeadersPolicy') && r.id === b?.responseHeadersPolicyId);
      for (const gap of headersPolicyGaps(policy)) violations.push(`${label}: ${gap}`);
    }
    const cert = (cdn.inputs.viewerCertificate ?? {}) as Inputs;
    if (cert.cloudfrontDefaultCertificate || !String(cert.minimumProtocolVersion ?? '').startsWith('TLSv1.2')) {
      violations.push(`${cdn.name}: viewers may use TLS older than 1.2`);
    }
  }
  return violations;
}

/** No worker task gets a public IP, and no subnet hands one out. */
export function publicIpViolations(rs: readonly RecordedResource[]): string[] {
  return [
    ...ofType(rs, 'ecs/service:Service')
      .filter((s) => (s.inputs.networkConfiguration as Inputs | undefined)?.assignPublicIp === true)
      .map((s) => `${s.name}: tasks get a public IP`),
    ...ofType(rs, 'ec2/subnet:Subnet')
      .filter((s) => s.inputs.mapPublicIpOnLaunch === true)
      .map((s) => `${s.name}: hands out public IPs`),
  ];
}

/** Redis only over TLS and only with a password (AUTH token) or RBAC users. */
export function redisViolations(rs: readonly RecordedResource[]): string[] {
  return ofType(rs, 'elasticache/replicationGroup:ReplicationGroup').flatMap((g) => [
    ...(g.inputs.transitEncryptionEnabled === true ? [] : [`${g.name}: Redis without TLS`]),
    ...(g.inputs.authToken || asList(g.inputs.userGroupIds).length > 0 ? [] : [`${g.name}: Redis without AUTH`]),
  ]);
}

/** The worker's env as a name -> value map, from the task definition's container definitions. */
export function taskEnvironment(rs: readonly RecordedResource[]): Record<string, string> {
  const td = ofType(rs, ':TaskDefinition')[0];
  const containers = JSON.parse(String(td?.inputs.containerDefinitions ?? '[]')) as Array<{
    environment?: Array<{ name: string; value: string }>;
  }>;
  return Object.fromEntries((containers[0]?.environment ?? []).map((e) => [e.name, e.value]));
}

export function visibilityViolations(rs: readonly RecordedResource[]): string[] {
  const handler = Number(taskEnvironment(rs).HANDLER_TIMEOUT_SECONDS);
  if (!Number.isFinite(handler)) return ['task definition: HANDLER_TIMEOUT_SECONDS is not set'];
  return ofType(rs, ':Queue')
    .filter((q) => q.type === 'aws:sqs/queue:Queue' && q.inputs.redrivePolicy !== undefined)
    .filter((q) => Number(q.inputs.visibilityTimeoutSeconds) < 6 * handler)
    .map((q) => `${q.name}: visibility ${String(q.inputs.visibilityTimeoutSeconds)} s < 6 x ${handler} s`);
}

export function tableViolations(rs: readonly RecordedResource[]): string[] {
  return ofType(rs, ':Table').flatMap((t) => [
    ...((t.inputs.serverSideEncryption as Inputs | undefined)?.enabled ? [] : [`${t.name}: no SSE`]),
    ...((t.inputs.pointInTimeRecovery as Inputs | undefined)?.enabled ? [] : [`${t.name}: no PITR`]),
  ]);
}

export function notificationViolations(rs: readonly RecordedResource[]): string[] {
  const policies = ofType(rs, ':QueuePolicy').map((p) => p.urn);
  return ofType(rs, ':BucketNotification')
    .filter((n) => !n.dependencies.some((d) => policies.includes(d)))
    .map((n) => `${n.name}: does not depend on the queue policy`);
}

export function networkViolations(rs: readonly RecordedResource[]): string[] {
  return ofType(rs, ':SecurityGroup').flatMap((sg) =>
    asList(sg.inputs.ingress)
      .filter((rule) => asList((rule as Inputs).cidrBlocks).includes('0.0.0.0/0'))
      .map(() => `${sg.name}: ingress open to the internet`),
  );
}

/** Every check at once. */
export function allViolations(rs: readonly RecordedResource[]): string[] {
  return [
    ...bucketViolations(rs),
    ...queueViolations(rs),
    ...iamViolations(rs),
    ...visibilityViolations(rs),
    ...tableViolations(rs),
    ...notificationViolations(rs),
    ...networkViolations(rs),
    ...tlsOnlyViolations(rs),
    ...cdnViolations(rs),
    ...publicIpViolations(rs),
    ...redisViolations(rs),
  ];
}
