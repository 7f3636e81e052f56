import { type Candle, candleOpenAt, closeTimeOf, INTERVAL_MS, type Interval } from '@regime/candles';
import { FeatureError } from './errors.ts';

/**
 * Aggregates consecutive candles of one period of `interval` (e.g. the closed 5m candles of a 15m
 * period) into one candle: open of the first, max high, min low, close of the last, summed volumes.
 * The result is `closed` only when the parts are closed and cover the whole period; otherwise it is
 * the partial candle as known after the last part.
 */
export function aggregateCandles(candles: readonly Candle[], interval: Interval): Candle {
  const first = candles[0];
  if (!first) throw new FeatureError('insufficient_history', `no candles to aggregate into ${interval}`);
  const part = first.closeTime - first.openTime + 1;
  const periodOpen = candleOpenAt(interval, first.openTime);
  const periodMs = INTERVAL_MS[interval];
  if (!(part > 0) || periodMs % part !== 0) {
    throw new FeatureError('invalid_candle', `a ${part} ms candle cannot be aggregated into ${interval}`, {
      interval,
    });
  }
  if (first.openTime !== periodOpen) {
    throw new FeatureError(
      'gap',
      `the ${interval} period opened at ${new Date(periodOpen).toISOString()} lacks its first part (first candle at ${new Date(first.openTime).toISOString()})`,
      { interval, missing: [periodOpen] },
    );
  }
  let high = first.high;
  let low = first.low;
  let volume = 0;
  let closed = true;
  const optional = { quoteVolume: 0, trades: 0, takerBuyBaseVolume: 0, takerBuyQuoteVolume: 0 };
  const present = { quoteVolume: true, trades: true, takerBuyBaseVolume: true, takerBuyQuoteVolume: true };
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i]!;
    if (c.openTime !== first.openTime + i * part || c.closeTime - c.openTime + 1 !== part) {
      throw new FeatureError(
        c.openTime > first.openTime + i * part ? 'gap' : 'unsorted',
        `candles to aggregate into ${interval} must be consecutive: got ${new Date(c.openTime).toISOString()} at position ${i}`,
        { interval },
      );
    }
    if (candleOpenAt(interval, c.openTime) !== periodOpen) {
      throw new FeatureError(
        'invalid_candle',
        `candle at ${new Date(c.openTime).toISOString()} lies outside the ${interval} period opened at ${new Date(periodOpen).toISOString()}`,
        { interval },
      );
    }
    if (c.high > high) high = c.high;
    if (c.low < low) low = c.low;
    volume += c.volume;
    closed &&= c.closed;
    for (const key of Object.keys(optional) as (keyof typeof optional)[]) {
      const v = c[key];
      if (v === undefined) present[key] = false;
      else optional[key] += v;
    }
  }
  const last = candles[candles.length - 1]!;
  const out: Candle = {
    openTime: periodOpen,
    open: first.open,
    high,
    low,
    close: last.close,
    volume,
    closeTime: closeTimeOf(interval, periodOpen),
    closed: closed && candles.length * part === periodMs,
  };
  for (const key of Object.keys(optional) as (keyof typeof optional)[]) {
    if (present[key]) out[key] = optional[key];
  }
  return out;
}

/**
 * Every complete period of `interval` found in an ascending series of smaller candles (e.g. 15m and
 * 1h from 5m, where the 15m/1h files do not reach back far enough). A period with any part missing
 * is left out, so it shows up as a gap later instead of as a wrong candle.
 */
export function aggregateSeries(candles: readonly Candle[], interval: Interval): Candle[] {
  const out: Candle[] = [];
  const periodMs = INTERVAL_MS[interval];
  let i = 0;
  while (i < candles.length) {
    const first = candles[i]!;
    const part = first.closeTime - first.openTime + 1;
    const per = periodMs / part;
    const periodOpen = candleOpenAt(interval, first.openTime);
    let j = i;
    while (j < candles.length && candleOpenAt(interval, candles[j]!.openTime) === periodOpen) j++;
    const group = candles.slice(i, j);
    const complete =
      Number.isInteger(per) &&
      group.length === per &&
      group.every((c, k) => c.openTime === periodOpen + k * part && c.closed !== false);
    if (complete) out.push(aggregateCandles(group, interval));
    i = j;
  }
  return out;
}
