import { ema, emaAlpha } from './ema.ts';

/**
 * MACD(fast, slow, signal) histogram with Python `ta` seeding: both EMAs start at the first close;
 * the MACD line exists from candle `slow − 1` on (ta masks the slow EMA before it), and the signal
 * EMA is seeded with the MACD line there (pandas' ewm starts at the first non-NaN value).
 */
export class Macd {
  private readonly fastAlpha: number;
  private readonly slowAlpha: number;
  private readonly signalAlpha: number;
  private fast = Number.NaN;
  private slow = Number.NaN;
  private signal = Number.NaN;
  private count = 0;

  constructor(
    readonly fastSpan = 12,
    readonly slowSpan = 26,
    readonly signalSpan = 9,
  ) {
    this.fastAlpha = emaAlpha(fastSpan);
    this.slowAlpha = emaAlpha(slowSpan);
    this.signalAlpha = emaAlpha(signalSpan);
  }

  /** Histogram (line − signal) if `close` were the next candle's close; nothing is committed. */
  peek(close: number): number {
    return this.step(close, false);
  }

  update(close: number): number {
    return this.step(close, true);
  }

  private step(close: number, commit: boolean): number {
    const i = this.count;
    const fast = i === 0 ? close : (1 - this.fastAlpha) * this.fast + this.fastAlpha * close;
    const slow = i === 0 ? close : (1 - this.slowAlpha) * this.slow + this.slowAlpha * close;
    const line = fast - slow;
    const start = this.slowSpan - 1;
    let signal = this.signal;
    if (i === start) signal = line;
    else if (i > start) signal = (1 - this.signalAlpha) * this.signal + this.signalAlpha * line;
    if (commit) {
      this.fast = fast;
      this.slow = slow;
      this.signal = signal;
      this.count = i + 1;
    }
    return i >= start ? line - signal : Number.NaN;
  }
}

export interface MacdSeries {
  line: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

/** Batch MACD. The line is given from the first candle (both EMAs seeded there); signal and histogram from `slow − 1`. */
export function macd(close: ArrayLike<number>, fastSpan = 12, slowSpan = 26, signalSpan = 9): MacdSeries {
  const n = close.length;
  const fast = ema(close, fastSpan);
  const slow = ema(close, slowSpan);
  const line = new Float64Array(n);
  for (let i = 0; i < n; i++) line[i] = fast[i]! - slow[i]!;
  const start = slowSpan - 1;
  const signal = new Float64Array(n).fill(Number.NaN);
  const histogram = new Float64Array(n).fill(Number.NaN);
  if (n > start) {
    const tail = ema(line.subarray(start), signalSpan);
    for (let i = start; i < n; i++) {
      signal[i] = tail[i - start]!;
      histogram[i] = line[i]! - signal[i]!;
    }
  }
  return { line, signal, histogram };
}
