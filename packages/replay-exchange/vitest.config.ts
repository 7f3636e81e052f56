import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'replay-exchange', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
