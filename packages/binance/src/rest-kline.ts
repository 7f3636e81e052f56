import { type Candle, candleProblem, type Interval } from '@regime/candles';
import { parseDecimal, parseInteger } from './decimal.ts';
import { withTradeDetails } from './trade-details.ts';

/** A REST kline row refused, with the slot it names when its open time could be read. */
export interface RejectedRestRow {
  openTime?: number;
  /** Stable code (metric label): `bad_row` for shape/field errors, else the candle problem. */
  problem: string;
  detail: string;
}

export type RestKlineResult = { ok: true; candle: Candle } | ({ ok: false } & RejectedRestRow);

/**
 * One row of GET /api/v3/klines: 12 values, times and the trade count as JSON numbers, every price
 * and volume as a decimal string:
 *   [openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBase, takerQuote, ignore]
 *
 * Strict: a row of the wrong shape, a non-decimal string ("NaN", "abc") or an unsound candle
 * (high < low, negative volume, close time not open + interval − 1) is refused with the field or
 * problem named. Never throws.
 *
 * `closed` tells whether the exchange had finished the candle when it answered: pass the server
 * time measured *before* the request (the row is closed iff closeTime < serverTime). Without it
 * the row is taken as closed, which is right for every row but the newest of a page that reaches
 * the present.
 */
export function readRestKline(
  row: unknown,
  interval: Interval,
  serverTime = Number.POSITIVE_INFINITY,
): RestKlineResult {
  const shown = JSON.stringify(row)?.slice(0, 200);
  if (!Array.isArray(row) || row.length < 11) {
    return { ok: false, problem: 'bad_row', detail: `row must be an array of 12 values, got ${shown}` };
  }
  const openTime = typeof row[0] === 'number' && Number.isSafeInteger(row[0]) ? row[0] : undefined;
  try {
    const closeTime = parseInteger(row[6], 'closeTime');
    const candle: Candle = {
      openTime: parseInteger(row[0], 'openTime'),
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
    const found = candleProblem(candle, interval);
    if (found) return { ok: false, openTime, problem: found.problem, detail: `${found.detail}: ${shown}` };
    return { ok: true, candle };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, openTime, problem: 'bad_row', detail: `${message}: ${shown}` };
  }
}

/** readRestKline for callers that want one bad row to fail: throws an Error naming the row and problem. */
export function parseRestKline(
  row: unknown,
  interval: Interval,
  serverTime = Number.POSITIVE_INFINITY,
): Candle {
  const result = readRestKline(row, interval, serverTime);
  if (result.ok) return result.candle;
  throw new Error(`invalid ${interval} REST kline (${result.problem}): ${result.detail}`);
}
