import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'trainer',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../packages/stack/src/vitest-global-setup.ts'],
    // Training runs in forked children on a shared 2-core machine: generous limits, one file at a time.
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
