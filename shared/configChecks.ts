/**
 * The region patterns of every AWS partition, as the AWS SDK's endpoint rules define them (partitions.js of
 * `@aws-sdk/core`'s util-endpoints, 2026-12): commercial, China, European Sovereign Cloud, GovCloud and the ISO
 * partitions. A region outside them (a typo, `mars-1`) would make every call fail at its first poll, so it is refused
 * at start-up instead.
 */
const PARTITION_REGIONS = [
  /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
  /^cn-\w+-\d+$/,
  /^eusc-de-\w+-\d+$/,
  /^us-gov-\w+-\d+$/,
  /^us-iso-\w+-\d+$/,
  /^us-isob-\w+-\d+$/,
  /^eu-isoe-\w+-\d+$/,
  /^us-isof-\w+-\d+$/,
];

/** True when `region` has the shape of a region of some AWS partition. */
export function isAwsRegion(region: string): boolean {
  return PARTITION_REGIONS.some((pattern) => pattern.test(region));
}

/**
 * A region name any S3-compatible or local stand-in may use (MinIO's `local`, say): only plausible when every
 * service the process talks to has an endpoint override, because no AWS endpoint exists for it.
 */
export const CUSTOM_REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * What is wrong with a `REDIS_URL`, if anything: it must be `redis://` or `rediss://` (TLS) with a host, an optional
 * port and database number, as ioredis reads them. Anything else would only fail at the first quota call. The
 * message never repeats the value: it may hold the AUTH password.
 */
export function redisUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL (expected redis://host:6379 or rediss://host:6379)';
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return `scheme must be redis: or rediss:, not ${url.protocol}`;
  }
  if (!url.hostname) return 'has no host';
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) {
    return 'the path may only be a database number (/0 to /99)';
  }
  return undefined;
}
