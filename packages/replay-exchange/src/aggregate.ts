import { type Candle, candleOpenAt, closeTimeOf, type Interval } from '@regime/candles';

/** Rounds away the float noise of sums (Binance quantities have at most 8 decimals). */
export function round8(x: number): number {
  return Number(x.toFixed(8));
}

/**
 * Candles of a coarser interval built from finer ones: open first, high max, low min, close last,
 * volume sum (the derivation PROVENANCE.md verified against Binance's own 15m/1h candles).
 * Optional fields are summed only when every part has them.
 */
export function aggregate(parts: readonly Candle[], interval: Interval): Candle[] {
  const out: Candle[] = [];
  let current: Candle | undefined;
  let complete = true;
  const finish = () => {
    if (!current) return;
    current.volume = round8(current.volume);
    if (complete && current.quoteVolume !== undefined) {
      current.quoteVolume = round8(current.quoteVolume);
      current.takerBuyBaseVolume = round8(current.takerBuyBaseVolume!);
      current.takerBuyQuoteVolume = round8(current.takerBuyQuoteVolume!);
    } else {
      delete current.quoteVolume;
      delete current.trades;
      delete current.takerBuyBaseVolume;
      delete current.takerBuyQuoteVolume;
    }
    out.push(current);
  };
  for (const c of parts) {
    const openTime = candleOpenAt(interval, c.openTime);
    if (current?.openTime !== openTime) {
      finish();
      complete = c.trades !== undefined;
      current = { ...c, openTime, closeTime: closeTimeOf(interval, openTime), closed: true };
      continue;
    }
    current.high = Math.max(current.high, c.high);
    current.low = Math.min(current.low, c.low);
    current.close = c.close;
    current.volume += c.volume;
    if (c.trades === undefined) complete = false;
    else if (complete) {
      current.quoteVolume! += c.quoteVolume!;
      current.trades! += c.trades;
      current.takerBuyBaseVolume! += c.takerBuyBaseVolume!;
      current.takerBuyQuoteVolume! += c.takerBuyQuoteVolume!;
    }
  }
  finish();
  return out;
}
