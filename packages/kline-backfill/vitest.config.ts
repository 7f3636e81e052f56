import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'kline-backfill', include: ['test/**/*.test.ts'] } });
