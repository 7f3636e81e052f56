import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'scorer',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../packages/stack/src/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
