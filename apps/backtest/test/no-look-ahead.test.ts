import type { Candle } from '@regime/candles';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import type { CandleHistory } from '@regime/features';
import { DEFAULT_LABELER_PARAMS } from '@regime/labeler';
import { loadRegimeModel, type RegimeModel } from '@regime/model';
import { fileCandleSource } from '@regime/model/candle-source';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BacktestRow, backtestRows, historyStart } from '../src/backtest.ts';
import { runStrategy } from '../src/engine.ts';
import { marketSeries } from '../src/market.ts';
import { labelerRegimes, withRegimes } from '../src/regime-sources.ts';
import { loadStrategies } from '../src/strategies/index.ts';
import type { Strategy } from '../src/strategy.ts';
import { asOfInstants, walkForwardPredictions } from '../src/walk-forward.ts';
import { testModelDir } from './test-model.ts';

/**
 * No look-ahead, end to end on real candles: the candles from instant X on are replaced by a
 * different future (prices shifted and scaled, so trends, volatility and regimes change); every
 * prediction and every row's position for an instant T ≤ X must stay exactly the same, and the
 * future must really have changed something after X (or the test would prove nothing). The rows are
 * every strategy of the folder on the model's regimes and every regime strategy on labeler 2's
 * causal segmentation (@causal). Only the @hindsight rows are left out, by name: they read the labels
 * of the segmentation of all the data, which depend on the future by definition (a ceiling, not a
 * strategy); the test shows that they need candles after T.
 */
const FROM = Date.UTC(2025, 6, 1);
const TO = Date.UTC(2025, 6, 2);
const X = Date.UTC(2025, 6, 1, 12);
const costs = { feeBps: 10, slippageBps: 2 };

function shiftedFuture(history: CandleHistory, from: number): CandleHistory {
  const change = (c: Candle, k: number): Candle => {
    if (c.openTime < from) return c;
    // A crash followed by a choppy recovery: scale and a zig-zag on every price of the candle.
    const f = 0.5 + 0.1 * Math.sin(k / 3);
    return {
      ...c,
      open: c.open * f,
      high: c.high * f * 1.01,
      low: c.low * f * 0.99,
      close: c.close * f,
      volume: c.volume * 3,
    };
  };
  return {
    '5m': history['5m'].map(change),
    '15m': history['15m'].map(change),
    '1h': history['1h'].map(change),
  };
}

/**
 * Holds an exposure that is a fine-grained function of everything it is shown (the newest 15m
 * closes, the price, the probabilities): if the engine showed it anything from after T, its position
 * at T would move.
 */
const probe: Strategy = {
  name: 'probe',
  description: 'exposure = fractional part of a fingerprint of its view',
  create: () => (view) => {
    const closes = view.closes15m;
    let x = view.price + (view.prediction?.probabilities.strong_trend ?? 0) * 1e4;
    for (let i = Math.max(0, closes.length - 3); i < closes.length; i++) x += closes[i]! * (i + 1);
    return (x * 1000) % 1;
  },
};

describe.skipIf(!hasSharedKlines())('shifting future candles changes no position before them', () => {
  let model: RegimeModel;
  let strategies: Strategy[];
  let history: CandleHistory;

  /** The rows that must not look ahead: all but the hindsight ceiling, excluded by name. */
  const HINDSIGHT = /@hindsight$/;
  let rows: BacktestRow[];

  beforeAll(async () => {
    model = await loadRegimeModel(await testModelDir());
    strategies = [...(await loadStrategies()), probe];
    rows = backtestRows(strategies).filter((r) => !HINDSIGHT.test(r.name));
    const source = fileCandleSource(sharedKlinesDir());
    history = await source.history('BTCUSDT', { from: historyStart(FROM, strategies), to: TO });
  }, 60_000);
  afterAll(() => model?.dispose());

  it('predictions and positions up to X are identical; after X they differ', async () => {
    const instants = asOfInstants(FROM, TO);
    const run = async (h: CandleHistory) => {
      const predictions = await walkForwardPredictions(model, h, instants);
      const series = marketSeries('BTCUSDT', h, instants, predictions);
      const labeler = labelerRegimes(h['5m'], instants, DEFAULT_LABELER_PARAMS);
      const of = {
        model: series,
        causal: withRegimes(series, labeler.causal),
        hindsight: withRegimes(series, labeler.hindsight),
      };
      return {
        predictions,
        labeler,
        runs: rows.map((row) => runStrategy(of[row.source], row.strategy, costs)),
      };
    };
    const original = await run(history);
    const changed = await run(shiftedFuture(history, X));
    const known = instants.filter((t) => t <= X).length;
    expect(known).toBe(145);
    expect(original.predictions.every((p) => p.ok)).toBe(true);
    expect(original.labeler.causal.every((r) => r !== undefined)).toBe(true);
    expect(rows.filter((r) => r.source === 'causal').map((r) => r.name)).toContain('vol_scaled@causal');
    expect(changed.predictions.slice(0, known)).toEqual(original.predictions.slice(0, known));
    expect(changed.labeler.causal.slice(0, known)).toEqual(original.labeler.causal.slice(0, known));
    let differencesAfter = 0;
    rows.forEach((row, k) => {
      const before = original.runs[k]!;
      const after = changed.runs[k]!;
      expect(Array.from(after.positions.subarray(0, known)), row.name).toEqual(
        Array.from(before.positions.subarray(0, known)),
      );
      // Equity up to X only depends on returns up to X: the step (X − 5m, X] is the last one before X.
      expect(Array.from(after.equity.subarray(0, known - 1)), row.name).toEqual(
        Array.from(before.equity.subarray(0, known - 1)),
      );
      for (let i = known; i < instants.length; i++)
        if (after.positions[i] !== before.positions[i]) differencesAfter++;
    });
    // The causal segmentation again, with the data cut at every hour of the day: at each cut-off it
    // must equal what the whole day gave (a label of the full segmentation, which reads later bars,
    // would differ near some cut-off). The hindsight rows are excluded because a label reads the
    // candles after T (it settles 6 hours later): with the data cut at X the last instants have none.
    const cutAt = (end: number) =>
      labelerRegimes(
        history['5m'].filter((c) => c.openTime + 300_000 <= end),
        instants.filter((t) => t <= end),
        DEFAULT_LABELER_PARAMS,
      );
    for (let end = FROM + 3_600_000; end < TO; end += 3_600_000) {
      const k = instants.filter((t) => t <= end).length;
      expect(cutAt(end).causal, new Date(end).toISOString()).toEqual(original.labeler.causal.slice(0, k));
    }
    const cut = cutAt(X);
    expect(original.labeler.hindsight.slice(0, known).every((r) => r !== undefined)).toBe(true);
    expect(cut.hindsight.slice(-12).every((r) => r === undefined)).toBe(true);
    const predictionChanges = changed.predictions
      .slice(known)
      .filter((p, i) => JSON.stringify(p) !== JSON.stringify(original.predictions[known + i])).length;
    expect(predictionChanges).toBeGreaterThan(0);
    expect(differencesAfter).toBeGreaterThan(0);
  }, 120_000);
});
