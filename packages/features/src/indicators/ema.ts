/** Smoothing factor of an EMA of span n, as pandas `ewm(span=n)` and Python `ta` use it. */
export function emaAlpha(span: number): number {
  return 2 / (span + 1);
}

/**
 * Exponential moving average with pandas `ewm(span, adjust=False)` semantics (what `ta` uses):
 * seeded with the first value, then y = (1 − α)·y + α·x.
 */
export class Ema {
  readonly alpha: number;
  private current = Number.NaN;
  private count = 0;

  constructor(readonly span: number) {
    this.alpha = emaAlpha(span);
  }

  /** The value so far (NaN before the first update). */
  get value(): number {
    return this.current;
  }

  peek(x: number): number {
    return this.count === 0 ? x : (1 - this.alpha) * this.current + this.alpha * x;
  }

  update(x: number): number {
    this.current = this.peek(x);
    this.count++;
    return this.current;
  }
}

/** Batch EMA over a series: pandas `ewm(span, adjust=False).mean()` without the min_periods mask. */
export function ema(values: ArrayLike<number>, span: number): Float64Array {
  const out = new Float64Array(values.length);
  const alpha = emaAlpha(span);
  for (let i = 0; i < values.length; i++) {
    out[i] = i === 0 ? values[0]! : (1 - alpha) * out[i - 1]! + alpha * values[i]!;
  }
  return out;
}
