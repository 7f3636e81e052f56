/** 15-minute bars in a 365-day year: annualises a 15-minute volatility. */
export const BARS_15M_PER_YEAR = 365 * 96;

/**
 * Realised volatility of the newest `bars` 15-minute log returns (root mean square: no mean taken
 * out, as for realised volatility), over a growing series of closed 15m closes: each call hands over
 * the series known so far and only new closes are consumed. `sigma()` is undefined until `bars`
 * returns are known.
 */
export class TrailingVolatility {
  private readonly squares: Float64Array;
  private consumed = 0;
  private last = Number.NaN;
  private filled = 0;
  private next = 0;
  private sum = 0;

  constructor(readonly bars: number) {
    if (!(Number.isInteger(bars) && bars >= 2)) throw new Error(`bars must be an integer ≥ 2, got ${bars}`);
    this.squares = new Float64Array(bars);
  }

  /** σ of one 15-minute log return, from the closes known so far. */
  sigma(closes: Float64Array): number | undefined {
    let changed = false;
    for (; this.consumed < closes.length; this.consumed++) {
      const close = closes[this.consumed]!;
      if (Number.isFinite(this.last)) {
        const r = Math.log(close / this.last);
        this.squares[this.next] = r * r;
        this.next = (this.next + 1) % this.bars;
        this.filled = Math.min(this.bars, this.filled + 1);
        changed = true;
      }
      this.last = close;
    }
    if (this.filled < this.bars) return undefined;
    if (changed) {
      // Summed afresh (96 values per new bar): a running sum would drift over months of updates.
      this.sum = 0;
      for (let i = 0; i < this.bars; i++) this.sum += this.squares[i]!;
    }
    return Math.sqrt(this.sum / this.bars);
  }
}
