import type { Candle } from './candle.ts';
import { closeTimeOf, INTERVAL_MS } from './interval.ts';
import { seededRandom } from './random.ts';

/**
 * Seeded candles for tests: the labeler, the features and the model are tested on price paths whose
 * regimes are known by construction. Deterministic (a seeded PRNG), so a failing case reproduces.
 */

/** One stretch of a synthetic 5m price path: per-candle drift and volatility of the log price. */
export interface Segment {
  candles: number;
  drift: number;
  vol: number;
}

/**
 * Deterministic synthetic 5m candles: a log-price random walk whose drift and volatility change per
 * segment; each candle's high/low extend a little beyond open/close.
 */
export function synthetic5m(
  segments: readonly Segment[],
  options: { start?: number; price?: number; seed?: number } = {},
): Candle[] {
  const random = seededRandom(options.seed ?? 7);
  const gaussian = () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const out: Candle[] = [];
  let t = options.start ?? Date.UTC(2024, 0, 1);
  let price = options.price ?? 100;
  for (const s of segments) {
    for (let i = 0; i < s.candles; i++) {
      const open = price;
      const close = open * Math.exp(s.drift + s.vol * gaussian());
      const wick = Math.abs(s.vol * gaussian()) * 0.5 + 1e-6;
      out.push({
        openTime: t,
        open,
        high: Math.max(open, close) * Math.exp(wick),
        low: Math.min(open, close) * Math.exp(-wick),
        close,
        volume: 10 + 5 * random(),
        closeTime: closeTimeOf('5m', t),
        closed: true,
      });
      price = close;
      t += INTERVAL_MS['5m'];
    }
  }
  return out;
}

/** A calm random walk: 5m volatility 0.1 %, no drift. */
export const CALM: Segment = { candles: 0, drift: 0, vol: 0.001 };

export function calm(candles: number): Segment {
  return { ...CALM, candles };
}
