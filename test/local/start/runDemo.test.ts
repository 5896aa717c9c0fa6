import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeAvif,
  makeLargeJpeg,
  makeMultiPageTiff,
  makeTruncatedJpeg,
  makeWebp,
  textFile,
} from '../../../local/fixtures/oddImages.ts';
import { renderCatalogueTable, startDemo } from '../../../local/start/runDemo.ts';
import { fixture } from '../../helpers/system.ts';

const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
const options = (folder: string, dataDir: string) => ({
  folder,
  dataDir,
  analyser: 'deterministic' as const,
  ports: { s3sqs: 0, dynamodb: 0, bedrock: 0, web: 0 },
  web: true,
  out: quiet,
  env: { LOG_LEVEL: 'silent', WAIT_TIME_SECONDS: '1' },
});

/** Issue 3: `npm start` on a folder of odd files, twice on the same data folder. */
describe('npm start (startDemo) on a folder of odd files', () => {
  let folder: string;
  let dataDir: string;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'demo-folder-'));
    dataDir = mkdtempSync(join(tmpdir(), 'demo-data-'));
    const files: Record<string, Buffer> = {
      'phone/chelsea.heic': fixture('chelsea.heic'),
      'modern/pic.avif': await makeAvif(),
      'modern/pic.webp': await makeWebp(),
      'camera/18mp.jpg': await makeLargeJpeg(18),
      'broken/truncated.jpg': await makeTruncatedJpeg(),
      'scans/pages.tif': await makeMultiPageTiff(),
      'notes/readme.txt': textFile(),
    };
    for (const [key, body] of Object.entries(files)) {
      const path = join(folder, key);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, body);
    }
  });
  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('catalogues or rejects each file with a reason, never stops, and prints the table', async () => {
    const demo = await startDemo(options(folder, dataDir));
    try {
      const run = await demo.ingest();
      expect(run.uploaded).toBe(7);
      const byKey = Object.fromEntries((await demo.items()).map((i) => [i.key, i]));
      for (const key of ['phone/chelsea.heic', 'modern/pic.avif', 'modern/pic.webp', 'camera/18mp.jpg']) {
        expect(byKey[key]?.status, key).toBe('catalogued');
      }
      expect(byKey['camera/18mp.jpg']?.image).toMatchObject({ preparedWidth: 1568 });
      expect(byKey['broken/truncated.jpg']).toMatchObject({ status: 'rejected', reasonCode: 'CORRUPT_IMAGE' });
      expect(byKey['scans/pages.tif']).toMatchObject({ status: 'rejected', reasonCode: 'MULTI_PAGE' });
      expect(byKey['notes/readme.txt']).toMatchObject({ status: 'rejected', reasonCode: 'NOT_AN_IMAGE' });
      expect(run.modelCalls).toBe(4);
      const table = renderCatalogueTable(await demo.items(), 160);
      expect(table).toContain('camera/18mp.jpg');
      expect(table).toContain('REJECTED');
      // The browser is up beside it.
      const res = await fetch(`${demo.web?.url}/api/items?limit=5`);
      expect(res.status).toBe(200);
    } finally {
      await demo.close();
    }
  });

  it('the same command again spends no model calls', async () => {
    const demo = await startDemo(options(folder, dataDir));
    try {
      const run = await demo.ingest();
      expect(run.uploaded).toBe(7);
      expect(run.modelCalls).toBe(0);
      expect(demo.outcomes.every((o) => o.outcome === 'skipped')).toBe(true);
    } finally {
      await demo.close();
    }
  });
});
