import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'collector', include: ['test/**/*.test.ts'] } });
