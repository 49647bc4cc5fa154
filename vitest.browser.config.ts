import { defineConfig } from 'vitest/config';

// The HTML reports in a real Chromium (Debian's, driven by playwright-core): `npm run test:browser`.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // .ci/run adds these counts to the unit tests' in its closing "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-browser-report.json' }]],
  },
});
