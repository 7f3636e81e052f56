import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'inference', include: ['test/**/*.test.ts'] } });
