import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogueItem } from '../../../shared/catalogue.ts';
import { TransientError } from '../../../shared/errors.ts';
import { DynamoCatalogueStore } from '../../../worker/adapters/DynamoCatalogueStore.ts';
import { startDynalite } from '../../helpers/dynalite.ts';
import { content, tomb } from './catalogueStoreContract.ts';

/** What only the DynamoDB adapter does; the write rules it shares with the fake are in the contract suite. */
describe('DynamoCatalogueStore on dynalite', () => {
  let db: Awaited<ReturnType<typeof startDynalite>>;
  let store: DynamoCatalogueStore;
  beforeAll(async () => {
    db = await startDynalite();
    store = new DynamoCatalogueStore(db.doc, db.tableName);
  });
  afterAll(() => db?.close());

  it('refuses to store an item outside the schema, and writes nothing', async () => {
    const bad = { ...content('b/bad.jpg', '01', 'e1'), status: 'lost' } as unknown as CatalogueItem;
    await expect(store.putContent(bad)).rejects.toThrow();
    expect(await store.get('b/bad.jpg')).toBeUndefined();
  });

  it('turns a failure of DynamoDB itself into a retryable TransientError naming the operation', async () => {
    // A table that does not exist: DynamoDB answers ResourceNotFoundException to every call.
    const missing = new DynamoCatalogueStore(db.doc, 'no-such-table');
    const attempts: [string, () => Promise<unknown>][] = [
      ['GetItem', () => missing.get('b/x.jpg')],
      ['PutItem', () => missing.putContent(content('b/x.jpg', '01', 'e1'))],
      ['PutItem', () => missing.putTombstone(tomb('b/x.jpg', '01'))],
      ['UpdateItem', () => missing.advanceSeq('b/x.jpg', 'e1', '01')],
      ['Query (byContent)', () => missing.findByContent('h', 'v1')],
      ['Query (byContent)', () => missing.contentInUse('h', 'b/x.jpg')],
      ['PutItem (claim)', () => missing.claim('content/h/v1', 'me', 1000)],
      ['DeleteItem (claim)', () => missing.release('content/h/v1', 'me')],
    ];
    for (const [operation, attempt] of attempts) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, operation).toBeInstanceOf(TransientError);
      expect((error as TransientError).message).toContain(operation);
      expect((error as TransientError).context).toMatchObject({ awsError: 'ResourceNotFoundException' });
    }
  });

  it('turns an unreachable endpoint into a TransientError', async () => {
    const client = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const offline = new DynamoCatalogueStore(DynamoDBDocumentClient.from(client), db.tableName);
    await expect(offline.get('b/x.jpg')).rejects.toBeInstanceOf(TransientError);
    client.destroy();
  });
});
