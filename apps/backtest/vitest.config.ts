import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'backtest',
    include: ['test/**/*.test.ts'],
    // test/questdb.test.ts writes backtest_equity to the real QuestDB (started when nothing answers).
    globalSetup: ['../../packages/stack/src/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
