import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asOfInstants as backtestInstants, historyStart, walkForwardPredictions } from '@regime/backtest';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import {
  candleRange,
  decideSamples,
  loadRegimeModel,
  networkInputs,
  networkProbabilities,
  REGIMES,
  readInferenceArtifact,
  sampleClock,
  splitDataset,
} from '@regime/model';
import { fileCandleSource } from '@regime/model/candle-source';
import { createTinyModel } from '@regime/model/tiny-model';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `regime-model evaluate` builds its samples in batches (packages/model dataset.ts); the predictor and
 * the backtest build one instant at a time through @regime/inference. Both must give the same
 * answer for the same (symbol, T): the same labeler view (bit for bit), feature windows equal to the
 * features' convergence tolerance (the batch path seeds the slowest indicators from further back),
 * so the same probabilities to that tolerance and the same written regime.
 */
describe.skipIf(!hasSharedKlines())('evaluate and the inference path give the same numbers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'evaluate-vs-inference-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('same probabilities and written regime at every 15-minute instant of a day, BTCUSDT', async () => {
    await createTinyModel(dir, 'evaluate-vs-inference', 13);
    const period = { from: Date.UTC(2025, 6, 10), to: Date.UTC(2025, 6, 11) };
    const source = fileCandleSource(sharedKlinesDir());
    const artifact = await readInferenceArtifact(dir);
    const params = artifact.metadata.labeler.params;
    const range = candleRange(period, params);
    const history = await source.history('BTCUSDT', {
      from: Math.min(range.from, historyStart(period.from, [])),
      to: range.to,
    });
    // Evaluate's path: the dataset (with the decision layer's earlier windows in it), the network, the decision.
    const { dataset } = await splitDataset(
      [{ symbol: 'BTCUSDT', history }],
      { from: period.from - 3_600_000, to: period.to },
      15,
      params,
    );
    const probabilities = networkProbabilities(artifact.network, networkInputs(artifact.scalers, dataset));
    const written = decideSamples(probabilities, sampleClock(dataset, 15), artifact.metadata.decision);

    // The backtest's path: the predictor's inference, one instant at a time.
    const model = await loadRegimeModel(dir);
    const instants = Array.from(dataset.asOf).filter((t) => t >= period.from);
    const all = backtestInstants(period.from, period.to);
    expect(instants.length).toBe(96);
    const walked = await walkForwardPredictions(model, history, all);
    model.dispose();
    let compared = 0;
    dataset.asOf.forEach((t, i) => {
      if (t < period.from) return;
      const p = walked[all.indexOf(t)]!;
      if (!p.ok) throw new Error(`no prediction at ${new Date(t).toISOString()}: ${p.reason}`);
      REGIMES.forEach((r, k) => {
        expect(Math.abs(p.prediction.probabilities[r] - probabilities[i * REGIMES.length + k]!)).toBeLessThan(
          1e-5,
        );
      });
      expect(p.prediction.regime, new Date(t).toISOString()).toBe(REGIMES[written[i]!]);
      compared++;
    });
    expect(compared).toBe(96);
  }, 180_000);
});
