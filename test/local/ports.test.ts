import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PortInUseError } from '../../local/errors.ts';
import { startLocalStack } from '../../local/stack.ts';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Listens on an ephemeral loopback port and keeps it. */
async function occupy(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const port = await occupy();
  await new Promise((resolve) => servers.pop()?.close(resolve));
  return port;
}

describe('startLocalStack on a taken port', () => {
  it('says which port, which stand-in, and how to choose another', async () => {
    const taken = await occupy();
    const error = await startLocalStack({ bedrock: false, ports: { s3sqs: taken } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toBe(
      `port ${taken} is already in use (S3/SQS stand-in); choose another with --port-s3sqs or free it`,
    );
  });

  it('stops what had started before the failure, so its ports are free again', async () => {
    const s3sqs = await freePort();
    const taken = await occupy();
    await expect(startLocalStack({ bedrock: false, ports: { s3sqs, dynamodb: taken } })).rejects.toThrow(
      `port ${taken} is already in use (DynamoDB stand-in); choose another with --port-dynamodb or free it`,
    );
    const stack = await startLocalStack({ bedrock: false, ports: { s3sqs } });
    expect(stack.endpoints.s3).toBe(`http://127.0.0.1:${s3sqs}`);
    await stack.close();
  });
});
