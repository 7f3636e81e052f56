import { EventEmitter } from 'node:events';
import { type Interval, isValidSymbol, type Kline } from '@regime/candles';
import type { Logger } from '@regime/service';
import WebSocket from 'ws';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { futureKlineProblem, klineStreamName, parseKlineMessage, type RejectCode } from './kline-message.ts';

export interface KlineStreamOptions {
  /** e.g. wss://stream.binance.com:9443 or the replay exchange's wsUrl. */
  baseUrl: string;
  symbols: string[];
  intervals: Interval[];
  logger?: Logger;
  /** No message and no ping for this long → the connection is dead: terminate and reconnect (default 60 s). */
  pingTimeoutMs?: number;
  /** Reconnect backoff (default 500 ms doubling up to 30 s, with jitter). */
  reconnect?: BackoffOptions;
  /** Binance allows 1024 streams per connection; more are split over several connections. */
  maxStreamsPerConnection?: number;
  /**
   * A kline opening (or, closed, closing) more than this after its message's event time `E` is
   * refused as `future_candle` (default 5 s): stored, it would poison every "resume after the newest
   * candle" decision downstream.
   */
  futureToleranceMs?: number;
}

export interface StreamRef {
  symbol: string;
  interval: Interval;
}

export interface ReconnectInfo {
  /** The streams of the connection that came back. */
  streams: StreamRef[];
  /** Open time of the newest closed kline received per stream before the drop (`SYMBOL@interval`). */
  lastClosedOpenTime: Record<string, number>;
}

export interface KlineStreamEvents {
  kline: [k: Kline];
  rejected: [reason: string, raw: string, code: RejectCode];
  connected: [];
  disconnected: [reason: string];
  reconnected: [downSince: number, info: ReconnectInfo];
}

const BINANCE_MAX_STREAMS = 1024;
const DEFAULT_FUTURE_TOLERANCE_MS = 5000;

/**
 * Binance combined kline streams (`/stream?streams=btcusdt@kline_5m/...`) for N symbols × intervals.
 * Every message is parsed strictly; bad ones are counted and emitted as 'rejected', never thrown.
 * Pings are answered by `ws`; a connection silent for `pingTimeoutMs` is terminated; drops are
 * followed by reconnects with backoff + jitter and a 'reconnected' event, on which the consumer
 * gap-fills through REST.
 */
export class KlineStream extends EventEmitter<KlineStreamEvents> {
  readonly stats = { messages: 0, rejected: 0, reconnects: 0 };
  private readonly connections: StreamConnection[];
  private readonly lastClosed = new Map<string, number>();

  constructor(readonly opts: KlineStreamOptions) {
    super();
    for (const symbol of opts.symbols) {
      if (!isValidSymbol(symbol)) throw new Error(`invalid symbol "${symbol}": expected e.g. BTCUSDT`);
    }
    if (opts.symbols.length === 0 || opts.intervals.length === 0) {
      throw new Error('KlineStream needs at least one symbol and one interval');
    }
    const refs = opts.symbols.flatMap((symbol) => opts.intervals.map((interval) => ({ symbol, interval })));
    const perConnection = Math.min(opts.maxStreamsPerConnection ?? BINANCE_MAX_STREAMS, BINANCE_MAX_STREAMS);
    this.connections = [];
    for (let i = 0; i < refs.length; i += perConnection) {
      this.connections.push(new StreamConnection(this, refs.slice(i, i + perConnection)));
    }
  }

  /** Open time of the newest closed kline received for a stream, if any. */
  lastClosedOpenTime(symbol: string, interval: Interval): number | undefined {
    return this.lastClosed.get(`${symbol}@${interval}`);
  }

  /** Resolves once every connection is open (retrying with backoff until then, or until stop()). */
  async start(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.stop()));
  }

  /** @internal called by a connection for each text frame. */
  handleMessage(raw: string, expected: ReadonlySet<string>): void {
    this.stats.messages++;
    const parsed = parseKlineMessage(raw);
    if (!parsed.ok) {
      this.reject(parsed.reason, raw, parsed.code);
      return;
    }
    if (!expected.has(parsed.stream)) {
      this.reject(`unknown_stream: not subscribed to ${parsed.stream}`, raw, 'unknown_stream');
      return;
    }
    const k = parsed.kline;
    const future = futureKlineProblem(
      k,
      parsed.eventTime,
      this.opts.futureToleranceMs ?? DEFAULT_FUTURE_TOLERANCE_MS,
    );
    if (future) {
      this.reject(future, raw, 'future_candle');
      return;
    }
    if (k.closed) {
      const key = `${k.symbol}@${k.interval}`;
      this.lastClosed.set(key, Math.max(this.lastClosed.get(key) ?? Number.NEGATIVE_INFINITY, k.openTime));
    }
    this.emit('kline', k);
  }

  /** @internal */
  snapshotLastClosed(refs: StreamRef[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { symbol, interval } of refs) {
      const t = this.lastClosedOpenTime(symbol, interval);
      if (t !== undefined) out[`${symbol}@${interval}`] = t;
    }
    return out;
  }

  private reject(reason: string, raw: string, code: RejectCode): void {
    this.stats.rejected++;
    this.opts.logger?.warn({ reason, raw: raw.slice(0, 300) }, 'rejected kline message');
    this.emit('rejected', reason, raw, code);
  }
}

/** One WebSocket connection carrying up to 1024 streams, with its own watchdog and reconnect loop. */
class StreamConnection {
  private ws: WebSocket | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private everOpened = false;
  private downSince: number | undefined;
  private lastClosedAtDrop: Record<string, number> = {};
  private readonly url: string;
  private readonly expected: Set<string>;
  private readonly pingTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private firstOpen: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Why the current socket is closing, for the 'disconnected' event and the log. */
  private closedReason = 'connection closed';

  constructor(
    private readonly owner: KlineStream,
    private readonly refs: StreamRef[],
  ) {
    const names = refs.map((r) => klineStreamName(r.symbol, r.interval));
    this.expected = new Set(names);
    this.url = `${owner.opts.baseUrl.replace(/\/+$/, '')}/stream?streams=${names.join('/')}`;
    this.pingTimeoutMs = owner.opts.pingTimeoutMs ?? 60_000;
    this.backoff = owner.opts.reconnect ?? { minMs: 500, maxMs: 30_000 };
  }

  start(): Promise<void> {
    this.stopped = false;
    return new Promise((resolve, reject) => {
      this.firstOpen = { resolve, reject };
      this.connect();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.watchdog);
    this.firstOpen?.reject(new Error('KlineStream stopped before it connected'));
    this.firstOpen = undefined;
    const ws = this.ws;
    this.ws = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'client stop');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const log = this.owner.opts.logger;
    const ws = new WebSocket(this.url, { handshakeTimeout: this.pingTimeoutMs });
    this.ws = ws;
    this.closedReason = 'connection closed';
    ws.on('open', () => {
      this.attempt = 0;
      this.feedWatchdog(ws);
      log?.info({ streams: this.expected.size }, 'kline stream connected');
      this.owner.emit('connected');
      if (this.everOpened) {
        this.owner.stats.reconnects++;
        this.owner.emit('reconnected', this.downSince ?? Date.now(), {
          streams: this.refs,
          lastClosedOpenTime: this.lastClosedAtDrop,
        });
      }
      this.everOpened = true;
      this.downSince = undefined;
      this.firstOpen?.resolve();
      this.firstOpen = undefined;
    });
    ws.on('message', (data) => {
      this.feedWatchdog(ws);
      this.owner.handleMessage(data.toString(), this.expected);
    });
    ws.on('ping', () => this.feedWatchdog(ws));
    ws.on('error', (error) => {
      this.closedReason = error.message;
      log?.warn({ err: error.message }, 'kline stream error');
    });
    ws.on('close', (code, reason) => {
      clearTimeout(this.watchdog);
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.stopped) return;
      const why = `${this.closedReason} (code ${code}${reason.length ? `, ${reason.toString()}` : ''})`;
      if (this.downSince === undefined) {
        this.downSince = Date.now();
        this.lastClosedAtDrop = this.owner.snapshotLastClosed(this.refs);
        if (this.everOpened) this.owner.emit('disconnected', why);
      }
      const delay = backoffDelay(this.attempt++, this.backoff);
      log?.warn({ reason: why, retryInMs: delay, attempt: this.attempt }, 'kline stream down: reconnecting');
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }

  /** Any frame from the server proves the connection alive; silence past the timeout kills it. */
  private feedWatchdog(ws: WebSocket): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.closedReason = `no message or ping for ${this.pingTimeoutMs} ms`;
      this.owner.opts.logger?.warn(
        { timeoutMs: this.pingTimeoutMs },
        'no message or ping: terminating dead connection',
      );
      ws.terminate();
    }, this.pingTimeoutMs);
  }
}
