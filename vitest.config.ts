import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // End-to-end tests start in-process stand-ins (fauxqs, dynalite, the Bedrock stand-in); give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // fauxqs imports node:sqlite, which warns on every import on Node 22.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    reporters: ['default'],
  },
});
