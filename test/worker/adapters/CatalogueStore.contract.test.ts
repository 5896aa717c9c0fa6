import { afterAll } from 'vitest';
import { DynamoCatalogueStore } from '../../../worker/adapters/DynamoCatalogueStore.ts';
import { startDynalite } from '../../helpers/dynalite.ts';
import { InMemoryStore } from '../../helpers/fakes.ts';
import { catalogueStoreContract } from './catalogueStoreContract.ts';

let db: Awaited<ReturnType<typeof startDynalite>> | undefined;
afterAll(() => db?.close());

catalogueStoreContract('the in-memory fake (test/helpers/fakes.ts)', async () => new InMemoryStore());
catalogueStoreContract('DynamoCatalogueStore on dynalite', async () => {
  db = await startDynalite();
  return new DynamoCatalogueStore(db.doc, db.tableName);
});
