import type { Candle } from '@regime/candles';
import { describe, expect, it } from 'vitest';
import {
  adx,
  atr,
  bollinger,
  ema,
  FEATURE_COUNT,
  FEATURES,
  featureSeries,
  featureWindow,
  featureWindows,
  IncrementalFeatures,
  macd,
  realizedVolatility,
  roc,
  rsi,
  stochasticK,
} from '../src/index.ts';
import { DAY, MIN, random, realDataAvailable, realHistory, relClose } from './helpers.ts';

if (!realDataAvailable)
  console.warn('[features] ../shared/data/klines is missing: real-data batch/streaming tests skipped');

/** The 12 features computed column by column with the batch indicator functions. */
function batchColumns(candles: readonly Candle[]): Float64Array[] {
  const n = candles.length;
  const o = candles.map((c) => c.open);
  const h = candles.map((c) => c.high);
  const l = candles.map((c) => c.low);
  const c = candles.map((x) => x.close);
  const col = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const ema21 = ema(c, 21);
  const ema55 = ema(c, 55);
  const atr14 = atr(h, l, c, 14);
  const macdHist = macd(c, 12, 26, 9).histogram;
  return [
    col((i) => (i === 0 ? Number.NaN : Math.log(c[i]! / c[i - 1]!))),
    col((i) => (i === 0 ? Number.NaN : (ema21[i]! - ema21[i - 1]!) / ema21[i - 1]!)),
    col((i) => (c[i]! - ema55[i]!) / ema55[i]!),
    col((i) => macdHist[i]! / c[i]!),
    adx(h, l, c, 14).adx,
    col((i) => atr14[i]! / c[i]!),
    bollinger(c, 20, 2).width,
    realizedVolatility(c, 20),
    rsi(c, 14).rsi,
    roc(c, 12),
    stochasticK(h, l, c, 14),
    col((i) => (h[i]! > l[i]! ? (h[i]! - l[i]! - Math.abs(o[i]! - c[i]!)) / (h[i]! - l[i]!) : 0)),
  ];
}

describe.skipIf(!realDataAvailable)('batch and streaming agree on real BTCUSDT candles', () => {
  const from = Date.UTC(2024, 0, 1);
  const to = Date.UTC(2024, 1, 15);
  const real = realDataAvailable ? realHistory(from, to) : { '5m': [], '15m': [], '1h': [] };

  it.each(['5m', '15m', '1h'] as const)(
    'incremental engine = batch indicators to 1e-9 relative (%s)',
    (interval) => {
      const candles = real[interval];
      const streamed = featureSeries(candles, interval).values;
      const columns = batchColumns(candles);
      let compared = 0;
      FEATURES.forEach((name, j) => {
        for (let i = 0; i < candles.length; i++) {
          const a = streamed[i * FEATURE_COUNT + j]!;
          const b = columns[j]![i]!;
          if (!relClose(a, b, 1e-9)) throw new Error(`${name} at candle ${i}: streamed ${a} vs batch ${b}`);
          if (!Number.isNaN(b)) compared++;
        }
      });
      expect(compared).toBeGreaterThan(candles.length * 11);
    },
  );

  it('peek never commits: peeking arbitrary in-progress candles leaves the stream unchanged', () => {
    const candles = real['15m'];
    const plain = new IncrementalFeatures('15m');
    const peeking = new IncrementalFeatures('15m');
    const rnd = random(3);
    for (const c of candles) {
      const peekedSame = peeking.peek(c);
      const wobble = 1 + (rnd() - 0.5) * 0.02;
      peeking.peek({
        ...c,
        high: c.high * Math.max(wobble, 1),
        low: c.low * Math.min(wobble, 1),
        close: c.close * wobble,
      });
      const a = plain.update(c);
      const b = peeking.update(c);
      expect(b).toEqual(a);
      expect(peekedSame).toEqual(a);
    }
  });

  it('featureWindows = featureWindow for every as-of instant (15m closes, 5m closes, minutes in between)', () => {
    const rnd = random(5);
    const first = from + 6 * DAY;
    const asOfs = Array.from(
      { length: 60 },
      () => first + Math.floor((rnd() * (to - DAY - first)) / MIN) * MIN,
    );
    asOfs.push(
      from + 10 * DAY,
      from + 10 * DAY + 5 * MIN,
      from + 10 * DAY + 10 * MIN,
      from + 10 * DAY + 12 * MIN,
    );
    const batch = featureWindows(real, asOfs);
    expect(batch).toHaveLength(asOfs.length);
    batch.forEach((w, k) => {
      expect(w.asOf).toBe(asOfs[k]);
      expect(w).toEqual(featureWindow(real, asOfs[k]!));
    });
  });
});
