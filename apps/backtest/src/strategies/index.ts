import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Strategy } from '../strategy.ts';

/**
 * The strategy registry: every other module in this folder that exports `strategy` is one. Adding a
 * strategy is adding a file here; neither the engine nor this registry changes.
 */
const here = dirname(fileURLToPath(import.meta.url));

function isStrategy(value: unknown): value is Strategy {
  const s = value as Strategy | undefined;
  return (
    typeof s?.name === 'string' &&
    /^[a-z][a-z0-9_]*$/.test(s.name) &&
    typeof s.description === 'string' &&
    (s.twin === undefined || typeof s.twin === 'string') &&
    typeof s.create === 'function'
  );
}

let loaded: Promise<Strategy[]> | undefined;

/**
 * All strategies, by name. Throws on two strategies with one name, a malformed export, or a twin
 * that is not a regime-free strategy of the folder.
 */
export function loadStrategies(): Promise<Strategy[]> {
  loaded ??= (async () => {
    const files = readdirSync(here)
      .filter((f) => /\.(ts|js)$/.test(f) && !/^index\.|\.d\.ts$|\.test\./.test(f))
      .sort();
    const out: Strategy[] = [];
    for (const file of files) {
      const module = (await import(pathToFileURL(`${here}/${file}`).href)) as { strategy?: unknown };
      if (module.strategy === undefined) continue;
      if (!isStrategy(module.strategy)) {
        throw new Error(`strategies/${file} exports a malformed strategy (name, description, create)`);
      }
      if (out.some((s) => s.name === (module.strategy as Strategy).name)) {
        throw new Error(`strategies/${file}: a strategy named ${module.strategy.name} exists already`);
      }
      out.push(module.strategy);
    }
    for (const s of out) {
      if (s.twin === undefined) continue;
      const twin = out.find((t) => t.name === s.twin);
      if (!twin || twin.twin !== undefined) {
        throw new Error(
          `strategy ${s.name}: its twin ${s.twin} is not a regime-free strategy of strategies/`,
        );
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  })();
  return loaded;
}
