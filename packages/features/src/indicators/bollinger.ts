import { RingBuffer } from './ring.ts';

/** (upper − lower)/middle·100 of a window with population std (ddof = 0, as `ta`). */
function widthOf(sum: number, sumSqDev: number, count: number, deviations: number): number {
  const mean = sum / count;
  const std = Math.sqrt(sumSqDev / count);
  return ((2 * deviations * std) / mean) * 100;
}

/** Bollinger band width(n, k) = (upper − lower)/middle × 100, from candle n − 1 on. */
export class BollingerWidth {
  private readonly previous: RingBuffer;

  constructor(
    readonly window = 20,
    readonly deviations = 2,
  ) {
    this.previous = new RingBuffer(window - 1);
  }

  peek(close: number): number {
    const ring = this.previous;
    if (!ring.full) return Number.NaN;
    const held = ring.storage;
    const size = ring.size;
    let sum = close;
    for (let k = 0; k < size; k++) sum += held[k]!;
    const mean = sum / this.window;
    let sq = (close - mean) * (close - mean);
    for (let k = 0; k < size; k++) {
      const d = held[k]! - mean;
      sq += d * d;
    }
    return widthOf(sum, sq, this.window, this.deviations);
  }

  update(close: number): number {
    const value = this.peek(close);
    this.previous.push(close);
    return value;
  }
}

export interface BollingerSeries {
  middle: Float64Array;
  std: Float64Array;
  upper: Float64Array;
  lower: Float64Array;
  width: Float64Array;
}

/** Batch Bollinger bands (population std), NaN before candle n − 1. */
export function bollinger(close: ArrayLike<number>, window = 20, deviations = 2): BollingerSeries {
  const len = close.length;
  const nan = () => new Float64Array(len).fill(Number.NaN);
  const out: BollingerSeries = { middle: nan(), std: nan(), upper: nan(), lower: nan(), width: nan() };
  for (let i = window - 1; i < len; i++) {
    let sum = 0;
    for (let k = i - window + 1; k <= i; k++) sum += close[k]!;
    const mean = sum / window;
    let sq = 0;
    for (let k = i - window + 1; k <= i; k++) sq += (close[k]! - mean) ** 2;
    const std = Math.sqrt(sq / window);
    out.middle[i] = mean;
    out.std[i] = std;
    out.upper[i] = mean + deviations * std;
    out.lower[i] = mean - deviations * std;
    out.width[i] = ((out.upper[i]! - out.lower[i]!) / mean) * 100;
  }
  return out;
}
