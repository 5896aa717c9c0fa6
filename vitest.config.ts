import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // End-to-end tests start in-process stand-ins (fauxqs, dynalite, the Bedrock stand-in); give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll (the browser tests) gives up after 1 s by default: a busy machine is slow, not wrong.
    expect: { poll: { timeout: 30_000, interval: 100 } },
    pool: 'forks',
    // fauxqs imports node:sqlite, which warns on every import on Node 22.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    reporters: ['default'],
  },
});
