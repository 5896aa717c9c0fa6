import { createServer } from 'node:net';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortInUseError } from '../../local/errors.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { loadConfig } from '../../shared/config.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack();
});

afterAll(async () => {
  await stack?.close();
});

describe('startLocalStack with the Bedrock stand-in (the default)', () => {
  it('starts it and points BEDROCK_ENDPOINT at it; the real Bedrock Runtime client gets an answer', async () => {
    expect(stack.bedrock?.url).toBe(stack.endpoints.bedrock);
    expect(loadConfig(stack.env).endpoints.bedrock).toBe(stack.endpoints.bedrock);
    const client = new BedrockRuntimeClient({
      region: stack.region,
      endpoint: stack.env.BEDROCK_ENDPOINT,
      credentials: stack.credentials,
    });
    try {
      const image = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#0a0' } })
        .jpeg()
        .toBuffer();
      const out = await client.send(
        new ConverseCommand({
          modelId: loadConfig(stack.env).model.id,
          messages: [
            { role: 'user', content: [{ image: { format: 'jpeg', source: { bytes: image } } }, { text: 'Describe.' }] },
          ],
          inferenceConfig: { maxTokens: 256 },
        }),
      );
      expect(out.usage?.outputTokens).toBeGreaterThan(0);
      expect(stack.bedrock?.stats().totals.accepted).toBe(1);
    } finally {
      client.destroy();
    }
  });

  it('reports a taken Bedrock port like the others', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const error = await startLocalStack({ ports: { bedrock: taken } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toContain(`port ${taken} is already in use (Bedrock stand-in)`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
