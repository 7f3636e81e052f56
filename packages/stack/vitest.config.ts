import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'stack',
    include: ['test/**/*.test.ts'],
    // Starting a second, throw-away QuestDB takes a while on a busy 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
