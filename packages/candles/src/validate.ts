import type { Candle } from './candle.ts';
import { INTERVAL_MS, type Interval } from './interval.ts';

/**
 * Why a candle is refused. Every writer counts refusals by this reason, so keep the set small
 * and stable: it is a metric label.
 */
export type CandleProblem =
  | 'non_finite'
  | 'non_positive_price'
  | 'high_below_low'
  | 'ohlc_outside_range'
  | 'negative_volume'
  | 'misaligned_open_time'
  | 'bad_close_time';

export class InvalidCandleError extends Error {
  constructor(
    readonly problem: CandleProblem,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidCandleError';
  }
}

/** Returns the first problem with the candle, or undefined when it is sound. */
export function candleProblem(
  c: Candle,
  interval: Interval,
): { problem: CandleProblem; detail: string } | undefined {
  const numbers = [c.openTime, c.open, c.high, c.low, c.close, c.volume, c.closeTime];
  if (!numbers.every(Number.isFinite)) {
    return { problem: 'non_finite', detail: 'a time, price or volume is not a finite number' };
  }
  if (c.open <= 0 || c.high <= 0 || c.low <= 0 || c.close <= 0) {
    return { problem: 'non_positive_price', detail: 'prices must be > 0' };
  }
  if (c.high < c.low) return { problem: 'high_below_low', detail: `high ${c.high} < low ${c.low}` };
  if (c.open > c.high || c.open < c.low || c.close > c.high || c.close < c.low) {
    return { problem: 'ohlc_outside_range', detail: 'open or close outside [low, high]' };
  }
  if (c.volume < 0) return { problem: 'negative_volume', detail: `volume ${c.volume} < 0` };
  for (const v of [c.quoteVolume, c.trades, c.takerBuyBaseVolume, c.takerBuyQuoteVolume]) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
      return {
        problem: 'negative_volume',
        detail: 'an optional volume or trade count is negative or not finite',
      };
    }
  }
  const ms = INTERVAL_MS[interval];
  if (c.openTime % ms !== 0) {
    return {
      problem: 'misaligned_open_time',
      detail: `open time ${c.openTime} is not a multiple of ${interval}`,
    };
  }
  if (c.closeTime !== c.openTime + ms - 1) {
    return {
      problem: 'bad_close_time',
      detail: `close time ${c.closeTime} is not open time + ${interval} - 1 ms`,
    };
  }
  return undefined;
}

export function assertValidCandle(c: Candle, interval: Interval): void {
  const found = candleProblem(c, interval);
  if (found)
    throw new InvalidCandleError(
      found.problem,
      `invalid ${interval} candle at ${c.openTime}: ${found.detail}`,
    );
}
