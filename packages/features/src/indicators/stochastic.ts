import { MonotonicWindow } from './monotonic.ts';

/**
 * Stochastic %K(n) = 100·(close − lowest low)/(highest high − lowest low) over the last n candles,
 * from candle n − 1 on. A window with no range at all (highest = lowest) gives 50, the midpoint:
 * `ta` would return NaN there, and a NaN must never reach the model.
 */
export function stochValue(close: number, highest: number, lowest: number): number {
  const range = highest - lowest;
  return range > 0 ? (100 * (close - lowest)) / range : 50;
}

export class StochasticK {
  // Highest high / lowest low of the last n − 1 committed candles; the incoming candle completes the window.
  private readonly highs: MonotonicWindow;
  private readonly lows: MonotonicWindow;

  constructor(readonly window = 14) {
    this.highs = new MonotonicWindow(window - 1, 'max');
    this.lows = new MonotonicWindow(window - 1, 'min');
  }

  peek(high: number, low: number, close: number): number {
    if (this.highs.count < this.window - 1) return Number.NaN;
    return stochValue(close, Math.max(this.highs.extreme, high), Math.min(this.lows.extreme, low));
  }

  update(high: number, low: number, close: number): number {
    const value = this.peek(high, low, close);
    this.highs.push(high);
    this.lows.push(low);
    return value;
  }
}

/** Batch %K. */
export function stochasticK(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  window = 14,
): Float64Array {
  const out = new Float64Array(close.length).fill(Number.NaN);
  for (let i = window - 1; i < close.length; i++) {
    let highest = Number.NEGATIVE_INFINITY;
    let lowest = Number.POSITIVE_INFINITY;
    for (let k = i - window + 1; k <= i; k++) {
      highest = Math.max(highest, high[k]!);
      lowest = Math.min(lowest, low[k]!);
    }
    out[i] = stochValue(close[i]!, highest, lowest);
  }
  return out;
}
