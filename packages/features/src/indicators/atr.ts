import { trueRange } from './true-range.ts';

/**
 * ATR(n) as Python `ta`: the first value (candle n − 1) is the mean of the first n true ranges
 * (the very first being high − low), then Wilder: ATR = (ATR·(n − 1) + TR)/n.
 */
export class Atr {
  private count = 0;
  private prevClose = Number.NaN;
  private sum = 0;
  private atr = Number.NaN;

  constructor(readonly window = 14) {}

  peek(high: number, low: number, close: number): number {
    return this.step(high, low, close, false);
  }

  update(high: number, low: number, close: number): number {
    return this.step(high, low, close, true);
  }

  private step(high: number, low: number, close: number, commit: boolean): number {
    const n = this.window;
    const i = this.count;
    const tr = trueRange(high, low, this.prevClose);
    let sum = this.sum;
    let atr = this.atr;
    if (i < n - 1) sum += tr;
    else if (i === n - 1) atr = (sum + tr) / n;
    else atr = (atr * (n - 1) + tr) / n;
    if (commit) {
      this.count = i + 1;
      this.prevClose = close;
      this.sum = sum;
      this.atr = atr;
    }
    return i >= n - 1 ? atr : Number.NaN;
  }
}

/** Batch ATR (NaN before candle n − 1). */
export function atr(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  window = 14,
): Float64Array {
  const len = close.length;
  const tr = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    tr[i] =
      i === 0
        ? high[0]! - low[0]!
        : Math.max(high[i]! - low[i]!, Math.abs(high[i]! - close[i - 1]!), Math.abs(low[i]! - close[i - 1]!));
  }
  const out = new Float64Array(len).fill(Number.NaN);
  if (len >= window) {
    let sum = 0;
    for (let i = 0; i < window; i++) sum += tr[i]!;
    out[window - 1] = sum / window;
    for (let i = window; i < len; i++) out[i] = (out[i - 1]! * (window - 1) + tr[i]!) / window;
  }
  return out;
}
