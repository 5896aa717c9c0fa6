import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `npm run worker` as a child process with exactly this environment (plus PATH), until it exits. */
function runWorker(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'worker/main.ts')], {
    cwd: ROOT,
    // No inherited AWS_* or REDIS_URL: the test decides every value the config reads.
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

// A queue that cannot be reached: the worker must refuse its configuration before it ever tries.
const QUEUE = { QUEUE_URL: 'http://127.0.0.1:9/000000000000/images' };

describe('worker start-up refuses a bad region or Redis URL (exit 3, naming the variable)', () => {
  it('AWS_REGION=mars-1', async () => {
    const { code, stderr } = await runWorker({ ...QUEUE, AWS_REGION: 'mars-1' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/AWS_REGION: "mars-1" is not an AWS region/);
  }, 60_000);

  it('a malformed REDIS_URL, without repeating it (it may hold a password)', async () => {
    const { code, stderr } = await runWorker({ ...QUEUE, REDIS_URL: 'redis//:s3cret@quota-store:6379' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/REDIS_URL: not a URL/);
    expect(stderr).not.toContain('s3cret');
  }, 60_000);

  it('both at once, each named', async () => {
    const { code, stderr } = await runWorker({ ...QUEUE, AWS_REGION: 'mars-1', REDIS_URL: 'http://quota-store:6379' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/AWS_REGION/);
    expect(stderr).toMatch(/REDIS_URL: scheme must be redis: or rediss:, not http:/);
  }, 60_000);
});
