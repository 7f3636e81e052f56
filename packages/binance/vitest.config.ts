import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'binance', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
