import { defineConfig } from 'vitest/config';

// The GPU half on whatever adapter this machine has (`npm run test:webgpu`): a real GPU's, else the software one.
export default defineConfig({
  test: {
    include: ['test/webgpu/**/*.gpu.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // .ci/run adds these counts to the other suites' in its closing "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-webgpu-report.json' }]],
  },
});
