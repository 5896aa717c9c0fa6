/**
 * Pure rules of the stack: AWS limits the configuration must respect and the arithmetic behind scaling. Kept free of
 * Pulumi so they are unit-tested directly and the program fails at `pulumi preview`, not halfway through `up`.
 */

/**
 * AWS Lambda's guidance for SQS sources, applied to the worker: the queue's visibility timeout is at least six times
 * the longest a message may take, so a slow message is not redelivered to a second worker while the first still
 * works on it (the worker also extends visibility with a heartbeat; this is the floor if a heartbeat is missed).
 */
const VISIBILITY_FACTOR = 6;
/** SQS's ceiling for a visibility timeout, s. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** The queue's visibility timeout for a given longest processing time. */
export function queueVisibilityTimeoutSeconds(handlerTimeoutSeconds: number): number {
  return VISIBILITY_FACTOR * handlerTimeoutSeconds;
}

/** Retention periods CloudWatch Logs accepts, days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** The memory sizes (MiB) Fargate allows for a Linux task of `cpu` units; empty for an invalid cpu value. */
export function fargateMemoryOptions(cpu: number): number[] {
  const range = (from: number, to: number, step: number) =>
    Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
  switch (cpu) {
    case 256:
      return [512, 1024, 2048];
    case 512:
      return range(1024, 4096, 1024);
    case 1024:
      return range(2048, 8192, 1024);
    case 2048:
      return range(4096, 16_384, 1024);
    case 4096:
      return range(8192, 30_720, 1024);
    case 8192:
      return range(16_384, 61_440, 4096);
    case 16_384:
      return range(32_768, 122_880, 8192);
    default:
      return [];
  }
}

/**
 * Pairs of suffixes S3 would reject as overlapping: two notification entries for the same events whose filters can
 * match the same key (one suffix ends with the other, or a duplicate). S3 compares case-sensitively.
 */
export function overlappingSuffixes(suffixes: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  suffixes.forEach((a, i) => {
    suffixes.forEach((b, j) => {
      if (i < j && (a.endsWith(b) || b.endsWith(a))) pairs.push([a, b]);
    });
  });
  return pairs;
}

/** One step of the scale-out policy, in messages above the alarm threshold: `[lowerBound, upperBound)`. */
export interface ScaleStep {
  lowerBound: number;
  /** Absent on the last step: no upper bound. */
  upperBound?: number;
  /** Tasks to run when the backlog falls in this step. */
  capacity: number;
}

/**
 * The steps of the scale-out policy: `ceil(backlog / backlogPerWorker)` tasks, capped at `maxWorkers`.
 *
 * The alarm fires at a backlog of 1 or more, and step bounds are relative to that threshold, so a breach of `d`
 * means a backlog of `d + 1`: capacity `c` covers breaches `[(c - 1) * B, c * B)`, i.e. backlogs `(c - 1) * B + 1`
 * to `c * B`. With many workers the steps are thinned to at most `maxSteps` (capacities rounded up to the next step)
 * to keep the policy small.
 */
export function scaleOutSteps(maxWorkers: number, backlogPerWorker: number, maxSteps = 20): ScaleStep[] {
  if (maxWorkers < 1 || backlogPerWorker < 1 || maxSteps < 1) return [];
  const count = Math.min(maxWorkers, maxSteps);
  const capacities = [...new Set(Array.from({ length: count }, (_, i) => Math.ceil(((i + 1) * maxWorkers) / count)))];
  return capacities.map((capacity, i) => {
    const previous = i === 0 ? 0 : (capacities[i - 1] ?? 0);
    const step: ScaleStep = { lowerBound: previous * backlogPerWorker, capacity };
    if (i < capacities.length - 1) step.upperBound = capacity * backlogPerWorker;
    return step;
  });
}

/** The capacity the steps give a backlog (what Application Auto Scaling will set), for tests and docs. */
export function capacityForBacklog(steps: readonly ScaleStep[], backlog: number, threshold = 1): number | undefined {
  if (backlog < threshold) return undefined;
  const breach = backlog - threshold;
  return steps.find((s) => breach >= s.lowerBound && (s.upperBound === undefined || breach < s.upperBound))?.capacity;
}

/**
 * Parses `NAME=value` assignments. Returns the values and a message per malformed entry.
 */
export function parseAssignments(entries: readonly string[]): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const name = at > 0 ? entry.slice(0, at).trim() : '';
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
      problems.push(`"${entry}" is not NAME=value`);
      continue;
    }
    if (name in values) problems.push(`${name} is given twice`);
    values[name] = entry.slice(at + 1).trim();
  }
  return { values, problems };
}
