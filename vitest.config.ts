import { defineConfig } from 'vitest/config';

// Both start one Podman engine for the run and build the test images once (test/support).
// Unit tests sit beside the code (src/**/*.test.ts); end-to-end tests that start the real
// control plane and real processes live in test/e2e and run one file at a time. The console's component
// tests (console/src/**/*.test.tsx, jsdom) are the "console" project, configured in console/vite.config.ts.
export default defineConfig({
  test: {
    projects: [
      'console/vite.config.ts',
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          testTimeout: 30_000,
          globalSetup: ['test/support/containersSetup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // a page under a loaded CI machine may take seconds to show what a click asked for
          expect: { poll: { timeout: 15_000 } },
          globalSetup: ['test/support/containersSetup.ts'],
        },
      },
    ],
  },
});
