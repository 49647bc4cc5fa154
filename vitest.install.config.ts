import { defineConfig } from 'vitest/config';

// netcensus as a dependency: packed, installed into a fresh project, used there (`npm run test:install`).
export default defineConfig({
  test: {
    include: ['test/install/**/*.install.ts'],
    testTimeout: 900_000,
    hookTimeout: 1_800_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // .ci/run adds these counts to the other suites' in its closing "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-install-report.json' }]],
  },
});
