import { RingBuffer } from './ring.ts';

/** Rate of change 100·(close / close n candles back − 1), from candle n on. */
export class Roc {
  private readonly previous: RingBuffer;

  constructor(readonly window = 12) {
    this.previous = new RingBuffer(window);
  }

  peek(close: number): number {
    if (!this.previous.full) return Number.NaN;
    const back = this.previous.get(0);
    return ((close - back) / back) * 100;
  }

  update(close: number): number {
    const value = this.peek(close);
    this.previous.push(close);
    return value;
  }
}

/** Batch ROC. */
export function roc(close: ArrayLike<number>, window = 12): Float64Array {
  const out = new Float64Array(close.length).fill(Number.NaN);
  for (let i = window; i < close.length; i++) {
    out[i] = ((close[i]! - close[i - window]!) / close[i - window]!) * 100;
  }
  return out;
}
