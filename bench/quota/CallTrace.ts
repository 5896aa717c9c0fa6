import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DescribeRequest, DescribeResult, Describer } from '../../worker/ports.ts';

/**
 * For tuning only (BENCH_TRACE_DIR): a decorator of the single model call that records when each attempt was sent,
 * when it ended, and the tokens it used, written as JSON lines when the process stops. Placed under the limiter, it
 * shows the send pattern the stand-in's rolling minute saw.
 */
export class CallTrace implements Describer {
  private readonly lines: string[] = [];

  constructor(private readonly inner: Describer) {}

  async describe(request: DescribeRequest): Promise<DescribeResult> {
    const sent = Date.now();
    try {
      const result = await this.inner.describe(request);
      const used = result.usage.inputTokens + result.usage.outputTokens;
      this.lines.push(JSON.stringify({ sent, end: Date.now(), ok: 1, used }));
      return result;
    } catch (error) {
      this.lines.push(JSON.stringify({ sent, end: Date.now(), ok: 0, error: (error as Error).name }));
      throw error;
    }
  }

  /** Writes `trace-<pid>.jsonl` into `dir`. */
  write(dir: string): void {
    writeFileSync(join(dir, `trace-${process.pid}.jsonl`), `${this.lines.join('\n')}\n`);
  }
}
