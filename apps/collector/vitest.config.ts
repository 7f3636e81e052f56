import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'collector',
    include: ['test/**/*.test.ts'],
    // writer.test.ts writes to a real QuestDB (own tables).
    globalSetup: ['../../packages/stack/src/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
