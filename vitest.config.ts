import { defineConfig } from 'vitest/config';

// One root config runs every package's tests: unit tests beside the code (src/**/*.test.ts) and
// integration tests against the real mock server (packages/*/test/**/*.test.ts).
// Under CI a JSON report is written too, so .ci/run can print a plain "Tests: N passed" line.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.vitest-report.json' }]]
      : ['default'],
  },
});
