import { assertValidCandle, type Candle, type Interval } from '@regime/candles';
import { parseDecimal, parseInteger } from './decimal.ts';
import { withTradeDetails } from './trade-details.ts';

/**
 * One row of GET /api/v3/klines: 12 values, times and the trade count as JSON numbers, every price
 * and volume as a decimal string:
 *   [openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBase, takerQuote, ignore]
 *
 * Strict: a row of the wrong shape, a non-decimal string ("NaN", "abc") or an unsound candle
 * (high < low, negative volume, close time not open + interval − 1) throws an Error that says
 * which field is wrong.
 *
 * `closed` tells whether the exchange had finished the candle when it answered: pass the server
 * time measured *before* the request (the row is closed iff closeTime < serverTime). Without it
 * the row is taken as closed, which is right for every row but the newest of a page that reaches
 * the present.
 */
export function parseRestKline(
  row: unknown,
  interval: Interval,
  serverTime = Number.POSITIVE_INFINITY,
): Candle {
  if (!Array.isArray(row) || row.length < 11) {
    throw new Error(
      `REST kline row must be an array of 12 values, got ${JSON.stringify(row)?.slice(0, 200)}`,
    );
  }
  try {
    const openTime = parseInteger(row[0], 'openTime');
    const closeTime = parseInteger(row[6], 'closeTime');
    const candle: Candle = {
      openTime,
      open: parseDecimal(row[1], 'open'),
      high: parseDecimal(row[2], 'high'),
      low: parseDecimal(row[3], 'low'),
      close: parseDecimal(row[4], 'close'),
      volume: parseDecimal(row[5], 'volume'),
      closeTime,
      closed: closeTime < serverTime,
    };
    withTradeDetails(candle, {
      quoteVolume: parseDecimal(row[7], 'quoteVolume'),
      trades: parseInteger(row[8], 'trades'),
      takerBuyBaseVolume: parseDecimal(row[9], 'takerBuyBaseVolume'),
      takerBuyQuoteVolume: parseDecimal(row[10], 'takerBuyQuoteVolume'),
    });
    assertValidCandle(candle, interval);
    return candle;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`invalid ${interval} REST kline ${JSON.stringify(row).slice(0, 200)}: ${message}`, {
      cause: error,
    });
  }
}
