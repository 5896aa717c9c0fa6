import type { Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { catalogueCreateTableInput } from '../shared/table.ts';
import { LocalStackError } from './errors.ts';
import { httpUrl, listen } from './listen.ts';

/** dynalite (DynamoDB on LevelDB) embedded in this process, on loopback. */
export interface EmbeddedDynamo {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts dynalite on host:port (0 = ephemeral). Tables become ACTIVE at once (no simulated CREATING delay).
 * @param path LevelDB folder for persistence; unset: in memory.
 * @throws PortInUseError when the port is taken.
 */
export async function startDynamo(options: { host: string; port: number; path?: string }): Promise<EmbeddedDynamo> {
  const server: Server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  let port: number;
  try {
    port = await listen(server, options.host, options.port, 'dynamodb');
  } catch (error) {
    // dynalite has opened its LevelDB already; close it so the folder's lock is released.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  return {
    url: httpUrl(options.host, port),
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of clients would otherwise hold the close back.
        server.closeAllConnections();
      }),
  };
}

/**
 * Creates the catalogue table (shared/table.ts) unless it exists, and waits until it is ACTIVE.
 * @returns whether it was created now.
 */
export async function ensureCatalogueTable(client: DynamoDBClient, tableName: string, timeoutMs = 10_000) {
  let created = false;
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    try {
      await client.send(new CreateTableCommand(catalogueCreateTableInput(tableName)));
      created = true;
    } catch (createError) {
      // Another starter won the race: fine.
      if ((createError as Error).name !== 'ResourceInUseException') throw createError;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return created;
    if (Date.now() > deadline) {
      throw new LocalStackError(`table ${tableName} not ACTIVE after ${timeoutMs} ms (${Table?.TableStatus})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
