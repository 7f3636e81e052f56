import { RingBuffer } from './ring.ts';

/** Sample standard deviation (ddof = 1) of the last n one-candle log returns; first value at candle n. */
export class RealizedVolatility {
  private readonly previous: RingBuffer;
  private prevClose = Number.NaN;

  constructor(readonly window = 20) {
    this.previous = new RingBuffer(window - 1);
  }

  peek(close: number): number {
    if (Number.isNaN(this.prevClose) || !this.previous.full) return Number.NaN;
    const r = Math.log(close / this.prevClose);
    const held = this.previous.storage;
    const size = this.previous.size;
    let sum = r;
    for (let k = 0; k < size; k++) sum += held[k]!;
    const mean = sum / this.window;
    let sq = (r - mean) * (r - mean);
    for (let k = 0; k < size; k++) {
      const d = held[k]! - mean;
      sq += d * d;
    }
    return Math.sqrt(sq / (this.window - 1));
  }

  update(close: number): number {
    const value = this.peek(close);
    if (!Number.isNaN(this.prevClose)) this.previous.push(Math.log(close / this.prevClose));
    this.prevClose = close;
    return value;
  }
}

/** Batch realized volatility. */
export function realizedVolatility(close: ArrayLike<number>, window = 20): Float64Array {
  const len = close.length;
  const out = new Float64Array(len).fill(Number.NaN);
  const r = new Float64Array(len).fill(Number.NaN);
  for (let i = 1; i < len; i++) r[i] = Math.log(close[i]! / close[i - 1]!);
  for (let i = window; i < len; i++) {
    let sum = 0;
    for (let k = i - window + 1; k <= i; k++) sum += r[k]!;
    const mean = sum / window;
    let sq = 0;
    for (let k = i - window + 1; k <= i; k++) sq += (r[k]! - mean) ** 2;
    out[i] = Math.sqrt(sq / (window - 1));
  }
  return out;
}
