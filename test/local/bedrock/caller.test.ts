import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeterministicAnalyser } from '../../../local/bedrock/analysers/deterministic.ts';
import type { AnalyserInput } from '../../../local/bedrock/analysers/types.ts';
import { type BedrockStandIn, createBedrockStandIn } from '../../../local/bedrock/server.ts';
import { converseInput, fixture } from './helpers.ts';

// The stand-in tells its analyser which process called (the SDK's app id, AWS_SDK_UA_APP_ID), so the chaos
// benchmark can say whose answer died with a killed worker.

const seen: AnalyserInput[] = [];
let standIn: BedrockStandIn;

beforeAll(async () => {
  const inner = createDeterministicAnalyser();
  standIn = await createBedrockStandIn({
    analyser: {
      name: 'spy',
      analyse: (input) => {
        seen.push(input);
        return inner.analyse(input);
      },
    },
  });
});
afterAll(() => standIn.close());

function client(appId?: string) {
  return new BedrockRuntimeClient({
    endpoint: standIn.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    ...(appId ? { userAgentAppId: appId } : {}),
  });
}

describe('the caller of a model call', () => {
  it("is the SDK's app id when the caller set one, and absent otherwise", async () => {
    const named = client('chaos-worker-7');
    const anonymous = client();
    await named.send(new ConverseCommand(converseInput(fixture('rocket.jpg'), 'jpeg')));
    await anonymous.send(new ConverseCommand(converseInput(fixture('rocket.jpg'), 'jpeg')));
    named.destroy();
    anonymous.destroy();
    expect(seen.map((s) => s.caller)).toEqual(['chaos-worker-7', undefined]);
  });
});
