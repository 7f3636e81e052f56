import { WINDOW_STEPS } from './names.ts';

/**
 * How far the start of a series may still move a feature: every smoothed indicator forgets its seed
 * geometrically, and we call a feature converged once the seed's weight is below this tolerance.
 */
export const CONVERGENCE_TOLERANCE = 1e-6;

/** Candles after which a geometric smoother with factor (1 − α) keeps less than `tol` of its seed. */
function candlesToForget(alpha: number, tol = CONVERGENCE_TOLERANCE): number {
  return Math.ceil(Math.log(tol) / Math.log(1 - alpha));
}

/**
 * Candles that must precede a candle of a series for its 12 features to be converged.
 *
 * The slowest memory is EMA55 (α = 2/56): (54/56)^380 < 1e-6, so 380. The others forget sooner:
 * EMA21 145; MACD's EMA26 180 + 9 for the signal = 189; RSI and ATR (Wilder, α = 1/14) 187 + 28 for
 * their seeds = 215; ADX (two Wilder stages, error ≈ (k/14)·(13/14)^k after k candles) 224 + 28 = 252.
 * The finite windows (Bollinger 20, realized vol 20 + 1, stochastic 14, ROC 12 + 1) need ≤ 21.
 */
export const INDICATOR_WARMUP = Math.max(
  candlesToForget(2 / (55 + 1)),
  candlesToForget(2 / (26 + 1)) + 9,
  candlesToForget(1 / 14) + 2 * 14,
  (() => {
    // ADX: TR/DM smoothing (from candle 14) feeds the ADX smoothing (from candle 27).
    let k = 1;
    while ((k / 14) * (13 / 14) ** k >= CONVERGENCE_TOLERANCE) k++;
    return k + 2 * 14;
  })(),
);

/**
 * Closed candles of each interval a window of `steps` steps needs before its as-of instant, at most
 * (the exact need depends on where T falls inside the hour; passing this many always suffices).
 *   15m: the steps themselves + warm-up before the oldest;
 *   5m:  the 5m candles closed at each step end span 3·(steps − 1) + 1 candles, + warm-up;
 *   1h:  the 1h candles closed at each step end span ⌈(steps − 1)/4⌉ + 1 candles, + warm-up.
 */
export function warmupCandles(steps: number = WINDOW_STEPS): { '5m': number; '15m': number; '1h': number } {
  assertSteps(steps);
  return {
    '15m': INDICATOR_WARMUP + steps,
    '5m': INDICATOR_WARMUP + 3 * (steps - 1) + 1,
    '1h': INDICATOR_WARMUP + Math.ceil((steps - 1) / 4) + 1,
  };
}

export function assertSteps(steps: number): void {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`steps must be a positive integer, got ${steps}`);
  }
}
