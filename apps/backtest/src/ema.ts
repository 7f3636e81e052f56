/**
 * An exponential moving average fed one value at a time: seeded with the simple mean of the first
 * `period` values, then ema += (x − ema) · 2 / (period + 1). `value` is undefined until seeded.
 */
export class Ema {
  private readonly alpha: number;
  private seen = 0;
  private sum = 0;
  value: number | undefined;

  constructor(readonly period: number) {
    this.alpha = 2 / (period + 1);
  }

  update(x: number): void {
    this.seen++;
    if (this.value === undefined) {
      this.sum += x;
      if (this.seen === this.period) this.value = this.sum / this.period;
      return;
    }
    this.value += (x - this.value) * this.alpha;
  }
}

/**
 * EMA(fast) vs EMA(slow) over a growing series of closes (each call hands over the series known so
 * far; only new values are consumed). `long()` is true when the fast EMA is above the slow one.
 */
export class EmaCrossover {
  private readonly fast: Ema;
  private readonly slow: Ema;
  private consumed = 0;

  constructor(fastPeriod: number, slowPeriod: number) {
    this.fast = new Ema(fastPeriod);
    this.slow = new Ema(slowPeriod);
  }

  long(closes: Float64Array): boolean {
    for (; this.consumed < closes.length; this.consumed++) {
      const x = closes[this.consumed]!;
      this.fast.update(x);
      this.slow.update(x);
    }
    const f = this.fast.value;
    const s = this.slow.value;
    return f !== undefined && s !== undefined && f > s;
  }
}
