import { defineConfig } from 'vitest/config';

// One run over every workspace: each workspace's own vitest.config.ts is a project.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'test'],
  },
});
