import type { Interval } from '@regime/candles';
import { describe, expect, it } from 'vitest';
import {
  type CandleHistory,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURES,
  FeatureError,
  featureSeries,
  featureWindow,
  INDICATOR_WARMUP,
  warmupCandles,
} from '../src/index.ts';
import { DAY, MIN, realDataAvailable, realHistory } from './helpers.ts';

const INTERVAL_MS: Record<'5m' | '15m' | '1h', number> = { '5m': 5 * MIN, '15m': 15 * MIN, '1h': 60 * MIN };

describe.skipIf(!realDataAvailable)('warm-up on real BTCUSDT candles', () => {
  const from = Date.UTC(2024, 0, 1);
  const to = Date.UTC(2024, 2, 1);
  const real = realDataAvailable ? realHistory(from, to, 60 * DAY) : { '5m': [], '15m': [], '1h': [] };

  it('a window from exactly warmupCandles() equals the window from months of history to 1e-6 of each feature’s scale', () => {
    const need = warmupCandles();
    const worst = new Float64Array(36);
    const scale = new Float64Array(36);
    for (let k = 0; k < 12; k++) {
      const T = Date.UTC(2024, 1, 10) + k * 37 * 60 * MIN + (k % 3) * 5 * MIN;
      const minimal = {} as Record<keyof CandleHistory, (typeof real)['5m']>;
      for (const interval of ['5m', '15m', '1h'] as const) {
        minimal[interval] = real[interval]
          .filter((c) => c.openTime + INTERVAL_MS[interval] <= T)
          .slice(-need[interval]);
      }
      const long = featureWindow(real, T).values;
      const short = featureWindow(minimal, T).values;
      for (let i = 0; i < long.length; i++) {
        worst[i % 36] = Math.max(worst[i % 36]!, Math.abs(long[i]! - short[i]!));
        scale[i % 36] = Math.max(scale[i % 36]!, Math.abs(long[i]!));
      }
    }
    FEATURE_NAMES.forEach((name, j) => {
      if (!(worst[j]! <= 1e-6 * scale[j]!))
        throw new Error(`${name}: differs by ${worst[j]} (scale ${scale[j]})`);
    });
  });

  it.each(['5m', '15m', '1h'] as const)(
    'half the warm-up is not enough for price_vs_ema55 (%s)',
    (interval: Interval & keyof CandleHistory) => {
      const candles = real[interval];
      const j = FEATURES.indexOf('price_vs_ema55');
      const last = (values: Float64Array) => values[values.length - FEATURE_COUNT + j]!;
      const reference = last(featureSeries(candles, interval).values);
      const error = (warm: number) =>
        Math.abs(last(featureSeries(candles.slice(-(warm + 1)), interval).values) - reference);
      // (54/56)^380 < 1e-6 but (54/56)^190 ≈ 1e-3: relative to the EMA, the error must be ≤ 1e-6 only with the full warm-up.
      expect(error(INDICATOR_WARMUP)).toBeLessThanOrEqual(1e-6 * 0.05);
      expect(error(Math.floor(INDICATOR_WARMUP / 2))).toBeGreaterThan(1e-6 * 0.05);
    },
  );
});

describe.skipIf(!realDataAvailable)('real gaps are reported, never bridged', () => {
  // 2023-03-24: Binance halted spot trading; 5m 12:40–13:55, 15m 12:45–13:45 and the 13:00 hour are missing.
  const from = Date.UTC(2023, 1, 1);
  const to = Date.UTC(2023, 3, 1);
  const real = realDataAvailable ? realHistory(from, to, 30 * DAY) : { '5m': [], '15m': [], '1h': [] };

  it('a window right after the 2023-03-24 exchange halt fails with the missing open times', () => {
    const T = Date.UTC(2023, 2, 24, 15, 0);
    try {
      featureWindow(real, T);
      throw new Error('expected a gap');
    } catch (error) {
      expect(error).toBeInstanceOf(FeatureError);
      const e = error as FeatureError;
      expect(e.code).toBe('gap');
      expect(e.interval).toBe('15m');
      const at = (h: number, m: number) => Date.UTC(2023, 2, 24, h, m);
      expect(e.missing).toEqual([at(12, 45), at(13, 0), at(13, 15), at(13, 30), at(13, 45)]);
      expect(e.missingCount).toBe(5);
    }
  });

  it('windows well before the halt are unaffected', () => {
    expect(featureWindow(real, Date.UTC(2023, 2, 24, 12, 30)).steps).toBe(64);
  });
});
