import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import type { CandleHistory } from '@regime/features';
import { loadRegimeModel, type RegimeModel } from '@regime/model';
import { fileCandleSource } from '@regime/model/candle-source';
import { describe, expect, it } from 'vitest';
import { historyStart } from '../src/backtest.ts';
import { asOfInstants, walkForwardPredictions } from '../src/walk-forward.ts';
import { testModelDir } from './test-model.ts';

/** Counts the windows the model is asked to answer. */
function counting(model: RegimeModel): { model: RegimeModel; windows: () => number } {
  let windows = 0;
  return {
    model: {
      ...model,
      decision: model.decision,
      predict: (w) => {
        windows += w.length;
        return model.predict(w);
      },
    },
    windows: () => windows,
  };
}

describe.skipIf(!hasSharedKlines())('walk-forward window reuse', () => {
  it('gives exactly the predictions of building every window anew, gaps included, answering each window once', async () => {
    const from = Date.UTC(2025, 9, 7);
    const to = from + 12 * 3_600_000;
    const full = await fileCandleSource(sharedKlinesDir()).history('BTCUSDT', {
      from: historyStart(from, []),
      to,
    });
    // A 40-minute hole in the 5m candles: the windows need an unbroken warm-up, so every instant from
    // the hole to the end fails, and the first ones after the hole's start lose their earlier window.
    const holeFrom = from + 9 * 3_600_000;
    const history: CandleHistory = {
      ...full,
      '5m': full['5m'].filter((c) => c.openTime < holeFrom || c.openTime >= holeFrom + 40 * 60_000),
    };
    const loaded = await loadRegimeModel(await testModelDir());
    expect(loaded.decision.windows).toBe(2);
    const instants = asOfInstants(from, to);
    try {
      const fresh = counting(loaded);
      const reused = counting(loaded);
      const expected = await walkForwardPredictions(fresh.model, history, instants, {
        batchSize: 50,
        reuseWindows: false,
      });
      const got = await walkForwardPredictions(reused.model, history, instants, { batchSize: 50 });
      expect(got).toEqual(expected);
      const predicted = expected.filter((p) => p.ok).length;
      // 00:00 … 09:00: the instant 09:00 still has its candles (the hole starts with the one opening then).
      expect(predicted).toBe(109);
      // Without reuse every prediction answers its two windows. With it each instant's window is answered
      // once, plus the earlier windows (15 min back) of the first three instants, which are no instants.
      expect(fresh.windows()).toBe(2 * predicted);
      expect(reused.windows()).toBe(predicted + 3);
    } finally {
      loaded.dispose();
    }
  }, 120_000);
});
