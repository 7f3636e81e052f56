import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { loadRegimeModel } from '@regime/model';
import { fileCandleSource } from '@regime/model/candle-source';
import { describe, expect, it } from 'vitest';
import { historyStart } from '../src/backtest.ts';
import { predictionPool } from '../src/prediction-pool.ts';
import { asOfInstants, walkForwardPredictions } from '../src/walk-forward.ts';
import { testModelDir } from './test-model.ts';

describe.skipIf(!hasSharedKlines())('prediction pool', () => {
  it('worker threads return exactly the in-process predictions, in order', async () => {
    const from = Date.UTC(2025, 8, 3);
    const instants = asOfInstants(from, from + 6 * 3_600_000);
    const history = await fileCandleSource(sharedKlinesDir()).history('ETHUSDT', {
      from: historyStart(from, []),
      to: from + 6 * 3_600_000,
    });
    const modelDir = await testModelDir();
    const model = await loadRegimeModel(modelDir);
    const local = await walkForwardPredictions(model, history, instants);
    model.dispose();
    const pool = predictionPool(2, modelDir, 32);
    try {
      const progress: number[] = [];
      const pooled = await pool.predict('ETHUSDT', history, instants, (n) => progress.push(n));
      expect(pooled).toHaveLength(72);
      expect(pooled).toEqual(local);
      expect(progress.at(-1)).toBe(72);
    } finally {
      await pool.close();
    }
  }, 120_000);
});
