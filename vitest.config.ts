import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.{ts,js}'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end tests start servers on free ports; files run in parallel, tests in a file in order.
    fileParallelism: true,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
