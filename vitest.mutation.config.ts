import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The tests StrykerJS runs against each mutant (npm run test:mutation): those of the mutated modules (the pipeline,
 * the consumer, the adapters, the message contracts and the sequencer), without the end-to-end and browser suites,
 * which would make a run take hours on two cores. (Not mergeConfig: it would add this list to the base's.)
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/worker/pipeline/**/*.test.ts',
      'test/worker/consumer/**/*.test.ts',
      'test/worker/adapters/**/*.test.ts',
      'test/shared/messages.test.ts',
      'test/shared/sequencer.test.ts',
      'test/local/s3Events.test.ts',
      // The worker's category counts (worker/adapters/CategoryTally.ts), on dynalite, read back by the browser's API.
      'test/web/api/CategoryCounter.test.ts',
    ],
  },
});
