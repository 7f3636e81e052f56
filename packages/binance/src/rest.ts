import { type Candle, closeTimeOf, INTERVAL_MS, type Interval, isValidSymbol } from '@regime/candles';
import type { Logger } from '@regime/service';
import { type BackoffOptions, backoffDelay, sleep } from './backoff.ts';
import { BinanceApiError, RetriesExhaustedError, UnknownSymbolError } from './errors.ts';
import { type RejectedRestRow, readRestKline } from './rest-kline.ts';
import { parseRetryAfter } from './retry-after.ts';
import { WeightPacer } from './weight.ts';

export interface RestClientOptions {
  /** e.g. https://api.binance.com or the replay exchange's restUrl. */
  baseUrl: string;
  logger?: Logger;
  /** Retries after 429/418, 5xx and network errors before giving up (default 5). */
  maxRetries?: number;
  /** Weight budget per minute; the client slows down near it (default 5000 of Binance's 6000). */
  maxUsedWeight1m?: number;
  fetch?: typeof fetch;
  /** Backoff between retries (default 500 ms doubling up to 30 s, with jitter). */
  backoff?: BackoffOptions;
  /** Per-request timeout (default 15 s). */
  requestTimeoutMs?: number;
  /** A 429/418 asking to wait longer than this fails at once instead of sleeping (default 10 min). */
  maxRetryAfterMs?: number;
}

export interface KlinesQuery {
  symbol: string;
  interval: Interval;
  /** Inclusive lower bound on open time. */
  startTime?: number;
  /** Inclusive upper bound on open time (Binance semantics). */
  endTime?: number;
  /** 1..1000 (Binance default 500). */
  limit?: number;
}

/** One page of klines as validated: sound candles and refused rows. */
export interface KlinePage {
  candles: Candle[];
  rejected: RejectedRestRow[];
  /** Rows the exchange sent (sound or not): a full page means there may be more. */
  rows: number;
  /** The server time the page's `closed` flags were decided against. */
  asOf: number;
}

/** Binance's weight for the endpoints used here. */
const WEIGHT = { time: 1, klines: 2 } as const;
export const KLINES_PAGE_LIMIT = 1000;

/** Status codes that are the exchange telling us to back off. */
const RATE_LIMITED = new Set([418, 429]);

/**
 * Binance spot REST client for klines: weight pacing, retries with backoff + jitter, and strict
 * row parsing. Closed/in-progress is decided against the server's clock, never the local one
 * (the replay exchange runs a virtual clock).
 */
export class BinanceRest {
  readonly stats = { requests: 0, retries: 0, rateLimited: 0, weightWaits: 0 };
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly backoff: BackoffOptions;
  private readonly timeoutMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly pacer: WeightPacer;
  /** A lower bound on the exchange's clock: the newest serverTime seen (server time never goes back). */
  private serverTimeFloor = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: RestClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? fetch;
    this.maxRetries = opts.maxRetries ?? 5;
    this.backoff = opts.backoff ?? { minMs: 500, maxMs: 30_000 };
    this.timeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 600_000;
    this.pacer = new WeightPacer(opts.maxUsedWeight1m ?? 5000);
  }

  /** The weight the exchange says this IP used in the current minute (from the last response). */
  get usedWeight1m(): number {
    return this.pacer.usedWeight;
  }

  /** GET /api/v3/time: the exchange's clock, epoch ms. */
  async serverTime(): Promise<number> {
    const body = await this.get('/api/v3/time', {}, WEIGHT.time);
    const serverTime = (body as { serverTime?: unknown }).serverTime;
    if (typeof serverTime !== 'number' || !Number.isSafeInteger(serverTime)) {
      throw new Error(`GET /api/v3/time: expected {"serverTime": <ms>}, got ${JSON.stringify(body)}`);
    }
    this.serverTimeFloor = Math.max(this.serverTimeFloor, serverTime);
    return serverTime;
  }

  /**
   * One page of GET /api/v3/klines; one bad row fails it (see klinePage for the lenient form).
   * A row is `closed` when its close time is before the server time measured before the request.
   */
  async klines(q: KlinesQuery): Promise<Candle[]> {
    const page = await this.klinePage(q);
    const bad = page.rejected[0];
    if (bad) {
      throw new Error(`invalid ${q.interval} REST kline (${bad.problem}): ${bad.detail}`);
    }
    const candles = page.candles;
    for (let i = 1; i < candles.length; i++) {
      if (candles[i]!.openTime <= candles[i - 1]!.openTime) {
        throw new Error(
          `GET /api/v3/klines ${q.symbol} ${q.interval}: rows out of order or duplicated at ${candles[i]!.openTime}`,
        );
      }
    }
    return candles;
  }

  /**
   * One page of GET /api/v3/klines, every row validated: sound rows come back as candles (in the
   * exchange's order), the others as `rejected` with the reason, so one bad row costs one candle,
   * not the page. The server time is only fetched when the page may reach the present, so
   * historical paging costs no extra requests.
   */
  async klinePage(q: KlinesQuery): Promise<KlinePage> {
    if (!isValidSymbol(q.symbol)) throw new Error(`invalid symbol "${q.symbol}": expected e.g. BTCUSDT`);
    // The newest open time this page can hold: endTime, or limit candles after startTime.
    const byLimit =
      q.startTime === undefined
        ? Number.POSITIVE_INFINITY
        : q.startTime + ((q.limit ?? 500) - 1) * INTERVAL_MS[q.interval];
    const newestOpen = Math.min(q.endTime ?? Number.POSITIVE_INFINITY, byLimit);
    if (closeTimeOf(q.interval, newestOpen) >= this.serverTimeFloor) await this.serverTime();
    const asOf = this.serverTimeFloor;
    const params: Record<string, string> = { symbol: q.symbol, interval: q.interval };
    if (q.startTime !== undefined) params.startTime = String(q.startTime);
    if (q.endTime !== undefined) params.endTime = String(q.endTime);
    if (q.limit !== undefined) params.limit = String(q.limit);
    const body = await this.get('/api/v3/klines', params, WEIGHT.klines, q.symbol);
    if (!Array.isArray(body)) {
      throw new Error(`GET /api/v3/klines: expected an array, got ${JSON.stringify(body).slice(0, 200)}`);
    }
    const page: KlinePage = { candles: [], rejected: [], rows: body.length, asOf };
    for (const row of body) {
      const result = readRestKline(row, q.interval, asOf);
      if (result.ok) page.candles.push(result.candle);
      else {
        const { ok: _ok, ...rejected } = result;
        page.rejected.push(rejected);
      }
    }
    return page;
  }

  /**
   * Every closed candle with open time in [from, to), page by page (1000 per request, by startTime);
   * one invalid row fails the iteration. Each page is passed to `onPage` (awaited) and yielded.
   */
  async *klinesBetween(
    symbol: string,
    interval: Interval,
    from: number,
    to: number,
    onPage?: (page: Candle[]) => void | Promise<void>,
  ): AsyncIterable<Candle[]> {
    for await (const page of this.klinePagesBetween(symbol, interval, from, to)) {
      const bad = page.rejected[0];
      if (bad) throw new Error(`invalid ${interval} REST kline (${bad.problem}): ${bad.detail}`);
      if (page.candles.length > 0) {
        await onPage?.(page.candles);
        yield page.candles;
      }
    }
  }

  /**
   * Every closed candle with open time in [from, to), page by page (1000 per request, by startTime),
   * with the closed rows of the range the exchange sent but that failed validation. Binance returns
   * the in-progress candle last: it is dropped, and paging stops there.
   */
  async *klinePagesBetween(
    symbol: string,
    interval: Interval,
    from: number,
    to: number,
  ): AsyncIterable<KlinePage> {
    const step = INTERVAL_MS[interval];
    let cursor = Math.ceil(from / step) * step;
    while (cursor < to) {
      const fetched = await this.klinePage({
        symbol,
        interval,
        startTime: cursor,
        endTime: to - 1,
        limit: KLINES_PAGE_LIMIT,
      });
      const page: KlinePage = { candles: [], rejected: [], rows: fetched.rows, asOf: fetched.asOf };
      let reachedPresent = false;
      let newest = cursor - step;
      for (const candle of fetched.candles) {
        newest = Math.max(newest, candle.openTime);
        if (candle.openTime < cursor || candle.openTime >= to) continue;
        if (!candle.closed) {
          reachedPresent = true;
          continue;
        }
        page.candles.push(candle);
      }
      for (const bad of fetched.rejected) {
        if (bad.openTime === undefined) {
          page.rejected.push(bad);
          continue;
        }
        newest = Math.max(newest, bad.openTime);
        // Only rows of the range that had closed: an unsound in-progress row is nothing we would store.
        const inRange = bad.openTime >= cursor && bad.openTime < to;
        if (inRange && bad.openTime + step <= fetched.asOf) page.rejected.push(bad);
      }
      if (page.candles.length > 0 || page.rejected.length > 0) yield page;
      if (reachedPresent || fetched.rows < KLINES_PAGE_LIMIT) return;
      // Rows whose open time cannot be read still take a slot each: never page backwards or stand still.
      cursor = Math.max(newest + step, cursor + step);
    }
  }

  private async get(
    path: string,
    params: Record<string, string>,
    weight: number,
    symbol?: string,
  ): Promise<unknown> {
    const url = `${this.baseUrl}${path}${Object.keys(params).length ? `?${new URLSearchParams(params)}` : ''}`;
    let lastFailure: unknown;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0) this.stats.retries++;
      const pause = this.pacer.delayFor(weight);
      if (pause > 0) {
        this.stats.weightWaits++;
        this.opts.logger?.warn(
          { usedWeight1m: this.pacer.usedWeight, pauseMs: pause },
          'near the weight budget: slowing down',
        );
        await sleep(pause);
      }
      this.stats.requests++;
      let response: Response;
      try {
        response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        lastFailure = error;
        await this.retryPause(path, attempt, `network error: ${(error as Error).message}`);
        continue;
      }
      const used = Number(response.headers.get('x-mbx-used-weight-1m'));
      if (Number.isFinite(used) && response.headers.has('x-mbx-used-weight-1m')) this.pacer.observe(used);
      if (response.ok) {
        const text = await response.text();
        try {
          return JSON.parse(text);
        } catch {
          throw new Error(
            `GET ${path}: HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
          );
        }
      }
      const text = await response.text();
      if (RATE_LIMITED.has(response.status)) {
        this.stats.rateLimited++;
        const header = response.headers.get('retry-after');
        const asked = parseRetryAfter(header);
        if (asked === undefined && header !== null) {
          this.opts.logger?.warn(
            { path, retryAfter: header.slice(0, 100) },
            'unusable Retry-After header (neither seconds nor an HTTP-date): using exponential backoff',
          );
        }
        const retryAfterMs = asked ?? 0;
        if (retryAfterMs > this.maxRetryAfterMs) {
          throw new BinanceApiError(
            response.status,
            undefined,
            `Retry-After ${retryAfterMs / 1000} s is too long: ${text}`,
            path,
          );
        }
        lastFailure = new Error(
          `HTTP ${response.status} (rate limited), ${asked === undefined ? 'no usable Retry-After' : `Retry-After ${retryAfterMs / 1000} s`}`,
        );
        await this.retryPause(path, attempt, `HTTP ${response.status}`, retryAfterMs);
        continue;
      }
      if (response.status >= 500) {
        lastFailure = new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
        await this.retryPause(path, attempt, `HTTP ${response.status}`);
        continue;
      }
      throw this.apiError(response.status, text, path, symbol);
    }
    throw new RetriesExhaustedError(path, this.maxRetries + 1, lastFailure);
  }

  /** Waits before the next attempt (not after the last one): at least Retry-After, else backoff. */
  private async retryPause(path: string, attempt: number, why: string, retryAfterMs = 0): Promise<void> {
    if (attempt >= this.maxRetries) return;
    const delay = Math.max(retryAfterMs, backoffDelay(attempt, this.backoff));
    this.opts.logger?.warn({ path, attempt: attempt + 1, delayMs: delay }, `${why}: retrying`);
    await sleep(delay);
  }

  private apiError(status: number, text: string, path: string, symbol?: string): BinanceApiError {
    let code: number | undefined;
    let msg = text.slice(0, 300);
    try {
      const body = JSON.parse(text) as { code?: unknown; msg?: unknown };
      if (typeof body.code === 'number') code = body.code;
      if (typeof body.msg === 'string') msg = body.msg;
    } catch {
      // not JSON: keep the raw text as the message
    }
    if (code === -1121) return new UnknownSymbolError(symbol ?? '?', status, code, msg, path);
    return new BinanceApiError(status, code, msg, path);
  }
}
