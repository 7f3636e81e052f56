import {
  type Candle,
  candleProblem,
  type Interval,
  isInterval,
  isValidSymbol,
  type Kline,
} from '@regime/candles';
import { z } from 'zod';
import { isDecimalString } from './decimal.ts';
import { withTradeDetails } from './trade-details.ts';

/** Stable reason codes for refused messages: used as a metric label, so keep the set small. */
export type RejectCode =
  | 'malformed_json'
  | 'bad_schema'
  | 'unknown_interval'
  | 'invalid_symbol'
  | 'stream_mismatch'
  | 'invalid_candle'
  | 'unknown_stream'
  | 'future_candle';

export type ParsedKlineMessage =
  | { ok: true; kline: Kline; stream: string; eventTime: number }
  | { ok: false; reason: string; code: RejectCode };

/** The stream name Binance uses for a kline stream: lower-case symbol, `@kline_`, interval. */
export function klineStreamName(symbol: string, interval: Interval): string {
  return `${symbol.toLowerCase()}@kline_${interval}`;
}

const decimal = z.string().refine(isDecimalString, { message: 'expected a decimal string' });
const integer = z.number().int();

const klineEvent = z.object({
  e: z.literal('kline'),
  E: integer,
  s: z.string(),
  k: z.object({
    t: integer,
    T: integer,
    s: z.string(),
    i: z.string(),
    f: integer,
    L: integer,
    o: decimal,
    c: decimal,
    h: decimal,
    l: decimal,
    v: decimal,
    n: integer.nonnegative(),
    x: z.boolean(),
    q: decimal,
    V: decimal,
    Q: decimal,
  }),
});

const combined = z.object({ stream: z.string(), data: z.unknown() });

function reject(code: RejectCode, reason: string): ParsedKlineMessage {
  return { ok: false, code, reason: `${code}: ${reason}` };
}

/**
 * Parses one kline WebSocket message, combined (`{"stream":..,"data":{..}}`) or raw (`{"e":"kline",..}`).
 * Pure and strict: the JSON must match Binance's kline event, every price/volume must be a decimal
 * string, the symbol must be a valid Binance symbol, the interval one we know, the stream name must
 * agree with the payload, and the candle must pass `candleProblem`. Never throws.
 */
export function parseKlineMessage(raw: string | Buffer): ParsedKlineMessage {
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (error) {
    return reject('malformed_json', error instanceof Error ? error.message : String(error));
  }
  let stream: string | undefined;
  let payload = json;
  const wrapper = combined.safeParse(json);
  if (wrapper.success) {
    stream = wrapper.data.stream;
    payload = wrapper.data.data;
  }
  const event = klineEvent.safeParse(payload);
  if (!event.success) {
    const issue = event.error.issues[0];
    return reject('bad_schema', `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const { E: eventTime, s: eventSymbol, k } = event.data;
  if (!isInterval(k.i)) return reject('unknown_interval', `interval "${k.i}"`);
  if (!isValidSymbol(k.s)) return reject('invalid_symbol', `symbol "${k.s}"`);
  if (eventSymbol !== k.s)
    return reject('stream_mismatch', `event symbol ${eventSymbol} ≠ kline symbol ${k.s}`);
  const expectedStream = klineStreamName(k.s, k.i);
  if (stream !== undefined && stream !== expectedStream) {
    return reject('stream_mismatch', `stream "${stream}" carries ${expectedStream}`);
  }
  const candle: Candle = {
    openTime: k.t,
    open: Number(k.o),
    high: Number(k.h),
    low: Number(k.l),
    close: Number(k.c),
    volume: Number(k.v),
    closeTime: k.T,
    closed: k.x,
  };
  withTradeDetails(candle, {
    quoteVolume: Number(k.q),
    trades: k.n,
    takerBuyBaseVolume: Number(k.V),
    takerBuyQuoteVolume: Number(k.Q),
  });
  const problem = candleProblem(candle, k.i);
  if (problem) return reject('invalid_candle', `${problem.problem}: ${problem.detail}`);
  return { ok: true, kline: { ...candle, symbol: k.s, interval: k.i }, stream: expectedStream, eventTime };
}

/**
 * Why a kline cannot be true as of the exchange's clock `exchangeNow` (a message's event time `E`):
 * a candle cannot open after the instant it is reported at, and a closed one cannot close after it.
 * `toleranceMs` absorbs clock differences between Binance's matching engine and stream servers.
 */
export function futureKlineProblem(k: Kline, exchangeNow: number, toleranceMs: number): string | undefined {
  const limit = exchangeNow + toleranceMs;
  if (k.openTime > limit) {
    return `future_candle: ${k.symbol} ${k.interval} opens at ${new Date(k.openTime).toISOString()}, after the exchange clock ${new Date(exchangeNow).toISOString()} (+${toleranceMs} ms)`;
  }
  if (k.closed && k.closeTime > limit) {
    return `future_candle: ${k.symbol} ${k.interval} is marked closed but closes at ${new Date(k.closeTime).toISOString()}, after the exchange clock ${new Date(exchangeNow).toISOString()} (+${toleranceMs} ms)`;
  }
  return undefined;
}
