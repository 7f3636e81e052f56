import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'backfill', include: ['test/**/*.test.ts'] } });
