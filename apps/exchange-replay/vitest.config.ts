import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'exchange-replay', include: ['test/**/*.test.ts'] } });
