import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Candle, candleOpenAt, closesAt, type Interval, isInterval } from '@regime/candles';
import { errors, restRow } from './binance-format.ts';
import type { ReplayContext } from './context.ts';

/** Binance's weights of the endpoints served. */
const WEIGHTS: Record<string, number> = {
  '/api/v3/ping': 1,
  '/api/v3/time': 1,
  '/api/v3/exchangeInfo': 20,
  '/api/v3/klines': 2,
};

const SYMBOL_PARAM = /^[A-Z0-9\-_.]{1,20}$/;
const INTEGER_PARAM = /^\d{1,20}$/;

class HttpError {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** Binance-compatible REST endpoints over the replay's data and virtual clock. */
export function createRestHandler(ctx: ReplayContext): (req: IncomingMessage, res: ServerResponse) => void {
  let minute = -1;
  let usedWeight = 0;

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json;charset=UTF-8',
      'x-mbx-used-weight': String(usedWeight),
      'x-mbx-used-weight-1m': String(usedWeight),
      // The server's clock is the virtual one; Date says so too.
      date: new Date(ctx.clock.now()).toUTCString(),
      ...extra,
    });
    res.end(JSON.stringify(body));
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const weight = WEIGHTS[url.pathname];
    if (req.method !== 'GET' || weight === undefined) {
      return send(res, 404, {
        code: -1000,
        msg: `not served by the replay exchange: ${req.method} ${url.pathname}`,
      });
    }
    ctx.stats.restRequests++;
    const wallMinute = Math.floor(Date.now() / 60_000);
    if (wallMinute !== minute) {
      minute = wallMinute;
      usedWeight = 0;
    }
    usedWeight += weight;
    const every = ctx.faults.rateLimitEveryN;
    const injected = every !== undefined && every > 0 && ctx.stats.restRequests % every === 0;
    if (injected || usedWeight > ctx.weightLimit1m) {
      ctx.stats.rateLimited++;
      const retryAfter = injected
        ? (ctx.faults.retryAfterSec ?? 1)
        : 60 - (Math.floor(Date.now() / 1000) % 60);
      ctx.logger.debug({ path: url.pathname, injected, retryAfter }, 'answering 429');
      return send(res, 429, errors.tooManyRequests, { 'retry-after': String(retryAfter) });
    }
    const errorEvery = ctx.faults.serverErrorEveryN;
    if (errorEvery !== undefined && errorEvery > 0 && ctx.stats.restRequests % errorEvery === 0) {
      ctx.stats.serverErrors++;
      return send(res, 503, errors.overloaded);
    }
    try {
      send(res, 200, answer(ctx, url));
    } catch (error) {
      if (error instanceof HttpError) return send(res, error.status, error.body);
      ctx.logger.error({ err: error, url: req.url }, 'REST handler failed');
      send(res, 500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
    }
  };
}

function answer(ctx: ReplayContext, url: URL): unknown {
  switch (url.pathname) {
    case '/api/v3/ping':
      return {};
    case '/api/v3/time':
      return { serverTime: ctx.clock.now() };
    case '/api/v3/exchangeInfo':
      return exchangeInfo(ctx);
    default:
      return klines(ctx, url.searchParams);
  }
}

function exchangeInfo(ctx: ReplayContext): unknown {
  return {
    timezone: 'UTC',
    serverTime: ctx.clock.now(),
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: ctx.weightLimit1m },
    ],
    exchangeFilters: [],
    symbols: ctx.store.symbols.map((symbol) => {
      const quote =
        ['USDT', 'USDC', 'BTC', 'ETH', 'BNB'].find((q) => symbol.endsWith(q) && symbol !== q) ?? '';
      return {
        symbol,
        status: 'TRADING',
        baseAsset: symbol.slice(0, symbol.length - quote.length),
        quoteAsset: quote,
      };
    }),
  };
}

function integerParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!INTEGER_PARAM.test(raw)) throw new HttpError(400, errors.badParam(name));
  return Number(raw);
}

/**
 * GET /api/v3/klines as Binance answers it at the virtual now: closed candles, then the candle in
 * progress (partial values) last. startTime/endTime bound the open time (both inclusive); without
 * startTime the newest `limit` candles up to endTime (or now) are returned.
 */
function klines(ctx: ReplayContext, params: URLSearchParams): unknown {
  const symbol = params.get('symbol');
  if (!symbol) throw new HttpError(400, errors.mandatory('symbol'));
  if (!SYMBOL_PARAM.test(symbol)) throw new HttpError(400, errors.illegalSymbol);
  const rawInterval = params.get('interval');
  if (!rawInterval) throw new HttpError(400, errors.mandatory('interval'));
  if (!isInterval(rawInterval) || !ctx.intervals.includes(rawInterval))
    throw new HttpError(400, errors.invalidInterval);
  if (!ctx.store.hasSymbol(symbol)) throw new HttpError(400, errors.invalidSymbol);
  const interval: Interval = rawInterval;
  const startTime = integerParam(params, 'startTime');
  const endTime = integerParam(params, 'endTime');
  const limit = integerParam(params, 'limit') ?? 500;
  if (limit < 1 || limit > 1000) throw new HttpError(400, errors.badLimit);
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    throw new HttpError(400, errors.startAfterEnd);
  }
  const now = ctx.clock.now();
  const current = candleOpenAt(interval, now);
  const newest = Math.min(endTime ?? Number.POSITIVE_INFINITY, current, ctx.to - 1);
  const rows =
    startTime !== undefined
      ? ctx.store.first(symbol, interval, startTime, newest, limit)
      : ctx.store.last(symbol, interval, newest, limit);
  return rows.map((c: Candle) =>
    restRow(closesAt(interval, c.openTime) <= now ? c : ctx.partials.asOf(symbol, interval, c, now)),
  );
}
