import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTinyModel } from '@regime/model/tiny-model';

/**
 * A complete artifact of this build's labeler (a small untrained network with a two-window decision
 * rule), made once per test file. These tests check the plumbing — same predictions as the predictor,
 * no look-ahead, the CLI — which must hold for whatever model is loaded, and the shipped artifact may
 * lag behind the labeler version (it is refused until retrained). The helper is the predictor's own.
 */
let made: Promise<string> | undefined;

export function testModelDir(): Promise<string> {
  made ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'backtest-model-')), 'model');
    await createTinyModel(dir, 'backtest-test-model', 11);
    return dir;
  })();
  return made;
}
