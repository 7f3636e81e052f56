/**
 * RSI(n) as Python `ta`: gains and losses of close.diff() (0 on the first candle, where pandas' NaN
 * diff fails both `> 0` and `< 0`) smoothed by ewm(alpha = 1/n, adjust=False), first value at candle
 * n − 1; 100 when the average loss is 0.
 */
export class Rsi {
  private count = 0;
  private prevClose = Number.NaN;
  private avgGain = 0;
  private avgLoss = 0;
  private readonly alpha: number;

  constructor(readonly window = 14) {
    this.alpha = 1 / window;
  }

  peek(close: number): number {
    return this.step(close, false);
  }

  update(close: number): number {
    return this.step(close, true);
  }

  private step(close: number, commit: boolean): number {
    const i = this.count;
    let avgGain = 0;
    let avgLoss = 0;
    if (i > 0) {
      const change = close - this.prevClose;
      const gain = Math.max(change, 0);
      const loss = Math.max(-change, 0);
      avgGain = (1 - this.alpha) * this.avgGain + this.alpha * gain;
      avgLoss = (1 - this.alpha) * this.avgLoss + this.alpha * loss;
    }
    if (commit) {
      this.count = i + 1;
      this.prevClose = close;
      this.avgGain = avgGain;
      this.avgLoss = avgLoss;
    }
    if (i < this.window - 1) return Number.NaN;
    return rsiValue(avgGain, avgLoss);
  }
}

function rsiValue(avgGain: number, avgLoss: number): number {
  return avgLoss === 0 ? 100 : 100 - 100 / (1 + avgGain / avgLoss);
}

export interface RsiSeries {
  avgGain: Float64Array;
  avgLoss: Float64Array;
  rsi: Float64Array;
}

/** Batch RSI with the average gain/loss columns of the StockCharts table. */
export function rsi(close: ArrayLike<number>, window = 14): RsiSeries {
  const len = close.length;
  const avgGain = new Float64Array(len);
  const avgLoss = new Float64Array(len);
  const out = new Float64Array(len).fill(Number.NaN);
  const alpha = 1 / window;
  for (let i = 1; i < len; i++) {
    const change = close[i]! - close[i - 1]!;
    avgGain[i] = (1 - alpha) * avgGain[i - 1]! + alpha * Math.max(change, 0);
    avgLoss[i] = (1 - alpha) * avgLoss[i - 1]! + alpha * Math.max(-change, 0);
  }
  for (let i = window - 1; i < len; i++) out[i] = rsiValue(avgGain[i]!, avgLoss[i]!);
  return { avgGain, avgLoss, rsi: out };
}
