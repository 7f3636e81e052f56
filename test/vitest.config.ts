import { defineProject } from 'vitest/config';

/**
 * Cross-app integration tests: real QuestDB and Redis (started by the stack's global setup when
 * nothing answers), the replay exchange, real candles from ../shared. One file at a time: each file
 * already runs several processes (apps, replay exchange, QuestDB) on a 2-core machine.
 */
export default defineProject({
  test: {
    name: 'integration',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['../packages/stack/src/vitest-global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
