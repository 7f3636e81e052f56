import { type Candle, candleProblem, type Interval } from '@regime/candles';

/**
 * Fast acceptance check equivalent to `candleProblem(c, interval) === undefined` for ordinary candles,
 * without the allocations `candleProblem` makes (it runs once per candle on every window). When it
 * says no, `candleProblem` gives the verdict and the reason.
 */
function looksSound(c: Candle, ms: number): boolean {
  const { open, high, low, close, volume, openTime, closeTime } = c;
  return (
    Number.isFinite(open) &&
    Number.isFinite(high) &&
    Number.isFinite(low) &&
    Number.isFinite(close) &&
    Number.isFinite(volume) &&
    Number.isFinite(openTime) &&
    low > 0 &&
    high >= low &&
    open >= low &&
    open <= high &&
    close >= low &&
    close <= high &&
    volume >= 0 &&
    openTime % ms === 0 &&
    closeTime === openTime + ms - 1 &&
    (c.quoteVolume === undefined || (Number.isFinite(c.quoteVolume) && c.quoteVolume >= 0)) &&
    (c.trades === undefined || (Number.isFinite(c.trades) && c.trades >= 0)) &&
    (c.takerBuyBaseVolume === undefined ||
      (Number.isFinite(c.takerBuyBaseVolume) && c.takerBuyBaseVolume >= 0)) &&
    (c.takerBuyQuoteVolume === undefined ||
      (Number.isFinite(c.takerBuyQuoteVolume) && c.takerBuyQuoteVolume >= 0))
  );
}

/** The reason a candle is unusable, or undefined. */
export function unsoundCandle(c: Candle, interval: Interval, ms: number): string | undefined {
  if (looksSound(c, ms)) return undefined;
  return candleProblem(c, interval)?.detail;
}
