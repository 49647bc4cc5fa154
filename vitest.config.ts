import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Verification builds real networks; the zoo at full size takes a while on two cores.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // One worker: TensorFlow's thread pool already uses both cores.
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-report.json' }]],
  },
});
