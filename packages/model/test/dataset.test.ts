import { INTERVAL_MS } from '@regime/candles';
import { synthetic5m } from '@regime/candles/synthetic';
import { FEATURE_NAMES, featureWindow, WINDOW_STEPS } from '@regime/features';
import {
  BAR_MS,
  closeLookup,
  DEFAULT_LABELER_PARAMS,
  forwardOutcome,
  historyCandles,
  labelerViewAsOf,
  regimeIndex,
  SeriesLabeler,
  windowSpan,
} from '@regime/labeler';
import { describe, expect, it } from 'vitest';
import { parseTrainConfig, splitPeriods } from '../src/config.ts';
import { asOfInstants, buildDataset } from '../src/dataset.ts';
import { candleRange, evenSubsample } from '../src/period-data.ts';
import { VIEW_BARS_SIZE, VIEW_SUMMARY_WIDTH, writeViewInputs } from '../src/view-inputs.ts';
import { historyFrom5m } from './history.ts';

const params = DEFAULT_LABELER_PARAMS;
const M5 = INTERVAL_MS['5m'];
const DAY = 86_400_000;

// 23 days of 5m candles: enough for the 1h warm-up, the 15-day label history and the 2-day causal warm-up.
const start = Date.UTC(2024, 0, 1);
const candles = synthetic5m(
  [
    { candles: 4800, drift: 0, vol: 0.001 },
    { candles: 800, drift: 0.0003, vol: 0.002 },
    { candles: 1000, drift: 0, vol: 0.0005 },
  ],
  { start, seed: 21 },
);
const history = historyFrom5m(candles);
const end = candles[candles.length - 1]!.openTime + M5;

describe('buildDataset', () => {
  const asOfs = asOfInstants(start, end, 60 * 60_000);

  it('pairs each usable instant with its feature window, its label and the labeler baselines', () => {
    const { dataset, skipped } = buildDataset([{ symbol: 'TESTUSDT', history }], asOfs, params);
    expect(dataset.size).toBeGreaterThan(50);
    expect(
      dataset.size + skipped.labelGap + skipped.labelUnsettled + skipped.featureGap + skipped.featureWarmup,
    ).toBe(asOfs.length);
    expect(dataset.windows.length).toBe(dataset.size * WINDOW_STEPS * FEATURE_NAMES.length);
    const labeler = new SeriesLabeler(candles, params);
    for (const i of [0, Math.floor(dataset.size / 2), dataset.size - 1]) {
      const asOf = dataset.asOf[i]!;
      // The dataset reads the warm-up slice production reads; the full history seeds the slowest
      // indicators earlier, so values agree to the features' convergence tolerance, not bit for bit.
      const expected = featureWindow(history, asOf).values;
      const row = WINDOW_STEPS * FEATURE_NAMES.length;
      const got = dataset.windows.subarray(i * row, (i + 1) * row);
      for (let k = 0; k < row; k++)
        expect(Math.abs(got[k]! - expected[k]!)).toBeLessThan(1e-5 * (1 + Math.abs(expected[k]!)));
      const labels = labeler.labelsAt(asOf);
      if (typeof labels === 'string') throw new Error(`instant ${asOf} has no labels: ${labels}`);
      expect(dataset.labels[i]).toBe(regimeIndex(labels.label));
      expect(dataset.causal[i]).toBe(regimeIndex(labels.causal));
      expect(dataset.rules[i]).toBe(regimeIndex(labels.rules));
      // The view is the labeler's own, computed from the candles alone (what the predictor computes).
      const summary = new Float32Array(VIEW_SUMMARY_WIDTH);
      const bars = new Float32Array(VIEW_BARS_SIZE);
      writeViewInputs(labelerViewAsOf(candles, asOf, params), summary, 0, bars, 0);
      expect(dataset.viewSummary.subarray(i * VIEW_SUMMARY_WIDTH, (i + 1) * VIEW_SUMMARY_WIDTH)).toEqual(
        summary,
      );
      expect(dataset.viewBars.subarray(i * VIEW_BARS_SIZE, (i + 1) * VIEW_BARS_SIZE)).toEqual(bars);
      const outcome = forwardOutcome(asOf, closeLookup(candles));
      expect(dataset.outcome.volRatio[i]).toBe(Math.fround(outcome?.volRatio ?? Number.NaN));
      expect(dataset.outcome.efficiency[i]).toBe(Math.fround(outcome?.efficiency ?? Number.NaN));
    }
    // The first labelled instant has the label history and the causal warm-up behind it; the last has
    // the settling bars ahead.
    const seg = params.segmentation;
    const firstPossible =
      start + (historyCandles(params) + windowSpan(params)) * M5 + seg.warmupBars * BAR_MS;
    expect(dataset.asOf[0]!).toBeGreaterThanOrEqual(firstPossible);
    expect(dataset.asOf[dataset.size - 1]! + seg.settleBars * BAR_MS).toBeLessThanOrEqual(end);
  });

  it('skips and counts instants whose label or window would cross a missing candle', () => {
    const holeAt = start + 5000 * M5;
    const holed = candles.filter((c) => c.openTime !== holeAt);
    const full = buildDataset([{ symbol: 'TESTUSDT', history }], asOfs, params).dataset;
    const { dataset, skipped } = buildDataset(
      [{ symbol: 'TESTUSDT', history: historyFrom5m(holed) }],
      asOfs,
      params,
    );
    expect(dataset.size).toBeLessThan(full.size);
    expect(skipped.labelGap + skipped.labelUnsettled + skipped.featureGap).toBeGreaterThan(0);
    // No surviving instant's settling bars, label window or feature window covers the hole.
    for (const asOf of dataset.asOf) {
      expect(asOf > holeAt || asOf + params.segmentation.settleBars * BAR_MS <= holeAt).toBe(true);
    }
  });
});

describe('splits', () => {
  const config = parseTrainConfig(
    JSON.stringify({ symbols: ['BTCUSDT'], from: '2024-01-01', to: '2024-12-31', splitGapHours: 24 }),
    'inline.json',
  );

  it('are chronological with a gap of at least the label horizon before validation and test', () => {
    const horizon = windowSpan(params) * M5;
    const p = splitPeriods(config, horizon);
    expect(p.train.from).toBe(Date.UTC(2024, 0, 1));
    expect(p.test.to).toBe(Date.UTC(2024, 11, 31));
    expect(p.validation.from - p.train.to).toBe(DAY);
    expect(p.test.from - p.validation.to).toBe(DAY);
    // The last training label's horizon ends before the first validation instant.
    expect(p.train.to - M5 + horizon).toBeLessThan(p.validation.from);
  });

  it('refuses a gap shorter than the label horizon', () => {
    const short = { ...config, splitGapHours: 1 };
    expect(() => splitPeriods(short, windowSpan(params) * M5)).toThrow(/shorter than the label horizon/);
  });

  it('reports every bad config value at once', () => {
    const bad = JSON.stringify({ symbols: ['bad symbol!'], from: 'yesterday', to: '2024-01-01' });
    expect(() => parseTrainConfig(bad, 'x.json')).toThrow(/symbols[\s\S]*from/);
  });

  it('loads enough candles around the period for the label history, the causal warm-up, settling and every feature warm-up', () => {
    const period = { from: Date.UTC(2024, 5, 1), to: Date.UTC(2024, 6, 1) };
    const range = candleRange(period, params);
    expect(period.from - range.from).toBeGreaterThanOrEqual(
      (historyCandles(params) + windowSpan(params)) * M5 + params.segmentation.warmupBars * BAR_MS,
    );
    expect(range.to - period.to).toBe((params.segmentation.settleBars + 1) * BAR_MS);
  });

  it('subsamples evenly', () => {
    expect(Array.from(evenSubsample(10, 4))).toEqual([0, 2, 5, 7]);
    expect(evenSubsample(3, undefined).length).toBe(3);
  });
});
