import type { Candle, Interval } from '@regime/candles';

/** Binance writes every price and quantity with 8 decimals: 42283.58 → "42283.58000000". */
export function fmt(x: number): string {
  return x.toFixed(8);
}

const ZERO = fmt(0);

/**
 * Trade details as Binance sends them. Sources without them (1m/5m files, 15m/1h derived from 5m)
 * are sent with 0 trades and zero quote/taker volumes: a candle with volume > 0 and no trade is
 * impossible on the real exchange, and @regime/binance reads that pattern as "not available".
 */
function details(c: Candle): { q: string; n: number; V: string; Q: string } {
  if (c.trades === undefined) return { q: ZERO, n: 0, V: ZERO, Q: ZERO };
  return {
    q: fmt(c.quoteVolume!),
    n: c.trades,
    V: fmt(c.takerBuyBaseVolume!),
    Q: fmt(c.takerBuyQuoteVolume!),
  };
}

/** One row of GET /api/v3/klines (12 values). */
export function restRow(
  c: Candle,
): [number, string, string, string, string, string, number, string, number, string, string, string] {
  const d = details(c);
  return [
    c.openTime,
    fmt(c.open),
    fmt(c.high),
    fmt(c.low),
    fmt(c.close),
    fmt(c.volume),
    c.closeTime,
    d.q,
    d.n,
    d.V,
    d.Q,
    '0',
  ];
}

/** Synthetic but deterministic trade ids: Binance's are exchange-wide counters we do not have. */
function tradeIds(c: Candle, trades: number): { f: number; L: number } {
  if (trades === 0) return { f: -1, L: -1 };
  const f = Math.floor(c.openTime / 1000);
  return { f, L: f + trades - 1 };
}

export interface KlineEvent {
  e: 'kline';
  E: number;
  s: string;
  k: {
    t: number;
    T: number;
    s: string;
    i: string;
    f: number;
    L: number;
    o: string;
    c: string;
    h: string;
    l: string;
    v: string;
    n: number;
    x: boolean;
    q: string;
    V: string;
    Q: string;
    B: string;
  };
}

/** The `data` of a kline stream message. */
export function klineEvent(symbol: string, interval: Interval, c: Candle, eventTime: number): KlineEvent {
  const d = details(c);
  const { f, L } = tradeIds(c, d.n);
  return {
    e: 'kline',
    E: eventTime,
    s: symbol,
    k: {
      t: c.openTime,
      T: c.closeTime,
      s: symbol,
      i: interval,
      f,
      L,
      o: fmt(c.open),
      c: fmt(c.close),
      h: fmt(c.high),
      l: fmt(c.low),
      v: fmt(c.volume),
      n: d.n,
      x: c.closed,
      q: d.q,
      V: d.V,
      Q: d.Q,
      B: '0',
    },
  };
}

/** Binance error bodies. */
export const errors = {
  invalidSymbol: { code: -1121, msg: 'Invalid symbol.' },
  invalidInterval: { code: -1120, msg: 'Invalid interval.' },
  tooManyRequests: {
    code: -1003,
    msg: 'Too many requests; current limit of IP is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.',
  },
  overloaded: {
    code: -1008,
    msg: 'Server is currently overloaded with other requests. Please try again in a few minutes.',
  },
  mandatory: (param: string) => ({
    code: -1102,
    msg: `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`,
  }),
  illegalSymbol: {
    code: -1100,
    msg: "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.",
  },
  badParam: (param: string) => ({
    code: -1100,
    msg: `Illegal characters found in parameter '${param}'; legal range is '^[0-9]{1,20}$'.`,
  }),
  badLimit: { code: -1130, msg: "Data sent for parameter 'limit' is not valid." },
  startAfterEnd: { code: -1023, msg: 'Start time is greater than end time.' },
} as const;
