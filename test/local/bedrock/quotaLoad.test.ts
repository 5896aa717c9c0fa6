import { setTimeout as tick } from 'node:timers/promises';
import { type BedrockRuntimeClient, ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { createBedrockStandIn, type StandInStats } from '../../../local/bedrock/server.ts';
import { bedrockClient, converse, converseInput, MODEL_ID, solidJpeg } from './helpers.ts';

/**
 * A compressed ten-minute run (a "minute" of 2 s) at three times the quota, from several real clients at once: the
 * stand-in must admit at most the quota in every minute (≤ 1.02×) and, being overloaded, use it (≥ 0.9× on average
 * over the ten minutes). The floor is judged on the average because a stall of the test process itself (a busy
 * 2-core machine) shifts the rolling window's slots past a minute boundary: that minute then loses them however
 * right the stand-in is. The rates are kept low (~40 requests/s per run) for the same reason.
 */
const MINUTE_MS = 2000;
const MINUTES = 10;
const CLIENTS = 4;
const MAX_IN_FLIGHT = 48;

interface Run {
  sent: number;
  succeeded: number;
  throttled: number;
  otherErrors: number;
  tokensSeen: number;
  stats: StandInStats;
}

/** Sends `perMinute` requests every quota minute, evenly, for MINUTES minutes, and reports what came back. */
async function overload(quota: { rpm: number; tpm: number }, perMinute: number, maxTokens: number): Promise<Run> {
  // Output counted once, so the usage clients see is what the quota settles to (burndown is tested on its own).
  const standIn = await createBedrockStandIn({ minuteMs: MINUTE_MS, quota: { ...quota, outputBurndown: 1 } });
  const clients: BedrockRuntimeClient[] = Array.from({ length: CLIENTS }, () =>
    bedrockClient(standIn.url, { sharedSession: true }),
  );
  const input = converseInput(await solidJpeg(32, 32), 'jpeg', { maxTokens });
  const run = { sent: 0, succeeded: 0, throttled: 0, otherErrors: 0, tokensSeen: 0 };
  const inFlight = new Set<Promise<void>>();
  const send = (client: BedrockRuntimeClient) => {
    const call = converse(client, input).then(
      (out) => {
        run.succeeded++;
        run.tokensSeen += out.usage?.totalTokens ?? 0;
      },
      (error: unknown) => {
        if (error instanceof ThrottlingException) run.throttled++;
        else run.otherErrors++;
      },
    );
    const tracked = call.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  try {
    // Warm up the clients (lazy SDK set-up, first connections) so that minute 0 sees the same load as the others.
    await Promise.all(clients.map((client) => converse(client, input)));
    standIn.resetStats();
    const start = performance.now();
    // Half a minute more than measured: a slot of the rolling window drifts a little later every minute, and the
    // tenth minute should still see the load. Only minutes 0-9 are judged.
    const end = start + (MINUTES + 0.5) * MINUTE_MS;
    for (let now = start; now < end; now = performance.now()) {
      const due = Math.floor(((now - start) / MINUTE_MS) * perMinute);
      while (run.sent < due && inFlight.size < MAX_IN_FLIGHT) send(clients[run.sent++ % CLIENTS]!);
      // Pacing of the offered load, not a wait for a result.
      await tick(2);
    }
    await Promise.all(inFlight);
    return { ...run, stats: standIn.stats() };
  } finally {
    for (const client of clients) client.destroy();
    await standIn.close();
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function fullMinutes(run: Run) {
  return (run.stats.models[MODEL_ID]?.minutes ?? []).filter((m) => m.minute < MINUTES);
}

describe.concurrent('the quota under a compressed ten-minute run at 3× overload', () => {
  it('holds requests per minute at the rpm', async () => {
    const rpm = 25;

    const run = await overload({ rpm, tpm: 100_000_000 }, 3 * rpm, 300);

    const minutes = fullMinutes(run);
    expect(minutes).toHaveLength(MINUTES);
    for (const m of minutes) expect(m.accepted, `minute ${m.minute}`).toBeLessThanOrEqual(1.02 * rpm);
    expect(mean(minutes.map((m) => m.accepted))).toBeGreaterThanOrEqual(0.9 * rpm);
    expect(run.sent).toBeGreaterThanOrEqual(2.5 * run.stats.totals.accepted);
    expect(run.throttled).toBe(run.stats.totals.throttled.requests);
    expect(run.succeeded).toBe(run.stats.totals.accepted);
    expect(run.otherErrors).toBe(0);
  });

  it('holds tokens per minute at the tpm, reserving input + max_tokens and settling to the usage', async () => {
    const tpm = 12_000;

    // Each request reserves ≈ 500 tokens (input + max_tokens 150) and settles to ≈ 460: 78 a minute offer 3× the tpm.
    const run = await overload({ rpm: 100_000, tpm }, 78, 150);

    const minutes = fullMinutes(run);
    expect(minutes).toHaveLength(MINUTES);
    for (const m of minutes) expect(m.tokensSettled, `minute ${m.minute}`).toBeLessThanOrEqual(1.02 * tpm);
    expect(mean(minutes.map((m) => m.tokensSettled))).toBeGreaterThanOrEqual(0.9 * tpm);
    const { totals } = run.stats;
    // Every request costs about the same, so requests sent per request admitted is the token overload.
    expect(run.sent).toBeGreaterThanOrEqual(2.5 * totals.accepted);
    expect(run.throttled).toBe(totals.throttled.tokens);
    expect(run.tokensSeen).toBe(totals.tokensSettled);
    expect(run.otherErrors).toBe(0);
  });
});
