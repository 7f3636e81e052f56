import { ensureStack } from './stack.ts';

/**
 * vitest globalSetup for every workspace that needs QuestDB or Redis: starts what is missing and
 * leaves it running afterwards (the next run reuses it at once). Concurrent projects are safe: the
 * stack lock makes one start and the others wait and reuse.
 */
export default async function setup(): Promise<void> {
  await ensureStack({ report: (message) => console.log(`[stack] ${message}`) });
}
