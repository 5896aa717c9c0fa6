import { EXIT } from '../../../shared/cli.ts';
import { loadConfig, requireConfig } from '../../../shared/config.ts';
import { createLogger } from '../../../shared/logger.ts';
import { createClients, destroyClients, loadPrompt } from '../../../worker/index.ts';
import type { BackfillOptions } from '../options.ts';
import type { ProgressMode } from '../progress.ts';
import { formatReconcile } from './report.ts';
import { runReconcile } from './runReconcile.ts';

/** `npm run backfill -- --reconcile`: runs the reconcile, prints the report and a JSON line; the exit code. */
export async function reconcileCommand(
  o: BackfillOptions,
  run: { dryRun: boolean; progress: ProgressMode },
): Promise<number> {
  const config = requireConfig(loadConfig(), ['queueUrl']);
  const logger = createLogger({ level: config.log.level, format: 'json', name: 'reconcile' }, process.stderr);
  const clients = createClients(config);
  let last = 0;
  try {
    const report = await runReconcile(
      { ...o, dryRun: run.dryRun },
      {
        s3: clients.s3,
        sqs: clients.sqs,
        doc: clients.doc,
        queueUrl: config.queueUrl,
        tableName: config.tableName,
        analysisVersion: loadPrompt(config).analysisVersion,
        region: config.region,
        logger,
        onProgress: (p) => {
          // JSON lines on stderr, at most one a second, and the last one.
          if (run.progress === 'none' || (Date.now() - last < 1000 && p.phase !== 'done')) return;
          last = Date.now();
          logger.info({ progress: p }, 'reconcile: progress');
        },
      },
    );
    process.stdout.write(`${formatReconcile(report)}\n${JSON.stringify({ reconcile: report })}\n`);
    return report.refused > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    destroyClients(clients);
  }
}
