import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'candles', include: ['test/**/*.test.ts'] } });
