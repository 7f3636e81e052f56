import { EventEmitter } from 'node:events';
import { type Interval, isValidSymbol, type Kline } from '@regime/candles';
import type { Logger } from '@regime/service';
import WebSocket from 'ws';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { ConnectAttemptBudget } from './connect-budget.ts';
import { futureKlineProblem, klineStreamName, parseKlineMessage, type RejectCode } from './kline-message.ts';
import { RejectionLog } from './rejection-log.ts';

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
  /** Streams per SUBSCRIBE frame (default 200, which keeps each frame a few kilobytes). */
  subscribeBatch?: number;
  /**
   * Wall ms between two SUBSCRIBE frames on one connection (default 250: 4 frames/s). Binance
   * disconnects a connection that sends more than 5 messages a second, pongs included.
   */
  subscribeIntervalMs?: number;
  /**
   * A kline opening (or, closed, closing) more than this after its message's event time `E` is
   * refused as `future_candle` (default 5 s): stored, it would poison every "resume after the newest
   * candle" decision downstream.
   */
  futureToleranceMs?: number;
  /** Refused messages are logged once per reason per window, then summarised (default 10 s). */
  rejectionLogWindowMs?: number;
  /**
   * Connection attempts (first connects and reconnects of every connection) allowed per window:
   * Binance allows 300 per 5 minutes per IP. Default: a budget of 300 per 5 minutes for this
   * stream; collectors sharing one IP must split the 300 (e.g. `new ConnectAttemptBudget(100)` each
   * for three), or share one instance within a process. An attempt past the budget waits.
   */
  connectBudget?: ConnectAttemptBudget;
}

export interface StreamRef {
  symbol: string;
  interval: Interval;
}

/** What one WebSocket connection is doing, for /healthz. */
export interface ConnectionState {
  /** 0-based index of the connection. */
  id: number;
  streams: number;
  /** Open and every SUBSCRIBE frame acknowledged: the connection carries all its streams. */
  up: boolean;
  /** Wall time since when the connection has not been up (undefined while up). */
  downSince?: number;
  /** Why it is not up (the last close reason, handshake error or SUBSCRIBE error). */
  reason?: string;
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
  /** A connection is open and subscribed to all its streams. */
  connected: [connection: number];
  disconnected: [reason: string, connection: number];
  reconnected: [downSince: number, info: ReconnectInfo];
}

const BINANCE_MAX_STREAMS = 1024;
const DEFAULT_FUTURE_TOLERANCE_MS = 5000;
const DEFAULT_SUBSCRIBE_BATCH = 200;
const DEFAULT_SUBSCRIBE_INTERVAL_MS = 250;

/**
 * Binance combined kline streams (`/stream?streams=btcusdt@kline_5m/...`) for N symbols × intervals.
 * Every message is parsed strictly; bad ones are counted and emitted as 'rejected', never thrown.
 * Pings are answered by `ws`; a connection silent for `pingTimeoutMs` is terminated; drops are
 * followed by reconnects with backoff + jitter and a 'reconnected' event, on which the consumer
 * gap-fills through REST.
 */
export class KlineStream extends EventEmitter<KlineStreamEvents> {
  readonly stats = { messages: 0, rejected: 0, reconnects: 0, connectAttempts: 0, connectsDeferred: 0 };
  /** @internal shared by the connections. */
  readonly connectBudget: ConnectAttemptBudget;
  private readonly connections: StreamConnection[];
  private readonly lastClosed = new Map<string, number>();
  private readonly rejectionLog: RejectionLog;

  constructor(readonly opts: KlineStreamOptions) {
    super();
    this.rejectionLog = new RejectionLog(opts.logger, opts.rejectionLogWindowMs);
    this.connectBudget = opts.connectBudget ?? new ConnectAttemptBudget();
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
      this.connections.push(
        new StreamConnection(this, refs.slice(i, i + perConnection), this.connections.length),
      );
    }
  }

  /** One entry per WebSocket connection. */
  connectionStates(): ConnectionState[] {
    return this.connections.map((c) => c.state());
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
    this.rejectionLog.stop();
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
    this.rejectionLog.note(code, reason, raw);
    this.emit('rejected', reason, raw, code);
  }
}

/**
 * One WebSocket connection carrying up to 1024 streams, with its own watchdog and reconnect loop.
 * It opens the bare combined endpoint (`/stream`) and subscribes with SUBSCRIBE frames of at most
 * `subscribeBatch` streams, paced under Binance's 5 messages per second, rather than a URL listing
 * every stream (kilobytes long at 1024 streams, which proxies and servers refuse).
 */
class StreamConnection {
  private ws: WebSocket | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private subscribeTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = false;
  private everOpened = false;
  private up = false;
  /** Since when the connection has not been up (for /healthz), wall ms; set at construction. */
  private notUpSince = Date.now();
  private reason: string | undefined = 'not connected yet';
  private downSince: number | undefined;
  private lastClosedAtDrop: Record<string, number> = {};
  private readonly url: string;
  private readonly names: string[];
  private readonly expected: Set<string>;
  private readonly pingTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  /** SUBSCRIBE request ids sent on the current socket and not yet acknowledged. */
  private pendingSubscribes = new Set<number>();
  /** SUBSCRIBE frames of the current socket not sent yet. */
  private unsentBatches = 0;
  private nextRequestId = 1;
  private firstOpen: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Why the current socket is closing, for the 'disconnected' event and the log. */
  private closedReason = 'connection closed';

  constructor(
    private readonly owner: KlineStream,
    private readonly refs: StreamRef[],
    private readonly id: number,
  ) {
    this.names = refs.map((r) => klineStreamName(r.symbol, r.interval));
    this.expected = new Set(this.names);
    this.url = `${owner.opts.baseUrl.replace(/\/+$/, '')}/stream`;
    this.pingTimeoutMs = owner.opts.pingTimeoutMs ?? 60_000;
    this.backoff = owner.opts.reconnect ?? { minMs: 500, maxMs: 30_000 };
  }

  state(): ConnectionState {
    return this.up
      ? { id: this.id, streams: this.names.length, up: true }
      : {
          id: this.id,
          streams: this.names.length,
          up: false,
          downSince: this.notUpSince,
          reason: this.reason,
        };
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
    clearTimeout(this.subscribeTimer);
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
    const wait = this.owner.connectBudget.take();
    if (wait > 0) {
      this.owner.stats.connectsDeferred++;
      const { max, windowMs } = this.owner.connectBudget;
      log?.warn(
        { connection: this.id, waitMs: wait, max, windowMs },
        'connection attempt budget spent (Binance: 300 per 5 minutes per IP): waiting',
      );
      this.retryTimer = setTimeout(() => this.connect(), wait);
      return;
    }
    this.owner.stats.connectAttempts++;
    const ws = new WebSocket(this.url, { handshakeTimeout: this.pingTimeoutMs });
    this.ws = ws;
    this.closedReason = 'connection closed';
    ws.on('open', () => {
      this.feedWatchdog(ws);
      this.subscribe(ws);
    });
    ws.on('message', (data) => {
      this.feedWatchdog(ws);
      const text = data.toString();
      if (this.handleResponse(ws, text)) return;
      this.owner.handleMessage(text, this.expected);
    });
    ws.on('ping', () => this.feedWatchdog(ws));
    ws.on('error', (error) => {
      this.closedReason = error.message;
      log?.warn({ connection: this.id, err: error.message }, 'kline stream error');
    });
    ws.on('close', (code, reason) => {
      clearTimeout(this.watchdog);
      clearTimeout(this.subscribeTimer);
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.stopped) return;
      const why = `${this.closedReason} (code ${code}${reason.length ? `, ${reason.toString()}` : ''})`;
      this.markDown(why);
      if (this.downSince === undefined) {
        this.downSince = Date.now();
        this.lastClosedAtDrop = this.owner.snapshotLastClosed(this.refs);
        if (this.everOpened) this.owner.emit('disconnected', why, this.id);
      }
      const delay = backoffDelay(this.attempt++, this.backoff);
      log?.warn(
        { connection: this.id, reason: why, retryInMs: delay, attempt: this.attempt },
        'kline stream down: reconnecting',
      );
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }

  /** Sends the SUBSCRIBE frames, one batch per `subscribeIntervalMs`. */
  private subscribe(ws: WebSocket): void {
    const batch = Math.max(1, this.owner.opts.subscribeBatch ?? DEFAULT_SUBSCRIBE_BATCH);
    const every = this.owner.opts.subscribeIntervalMs ?? DEFAULT_SUBSCRIBE_INTERVAL_MS;
    this.pendingSubscribes = new Set();
    this.unsentBatches = Math.ceil(this.names.length / batch);
    const send = (from: number) => {
      if (this.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
      const id = this.nextRequestId++;
      this.pendingSubscribes.add(id);
      this.unsentBatches--;
      ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: this.names.slice(from, from + batch), id }));
      if (from + batch < this.names.length) this.subscribeTimer = setTimeout(() => send(from + batch), every);
    };
    send(0);
  }

  /**
   * Answers to our SUBSCRIBE frames (`{"result":null,"id":1}` or `{"error":{..},"id":1}`). Returns
   * false for anything else, which is then parsed as a kline message.
   */
  private handleResponse(ws: WebSocket, text: string): boolean {
    if (text.includes('"kline"')) return false;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof body !== 'object' || body === null || !('id' in body)) return false;
    const { id, error } = body as { id: unknown; error?: unknown; result?: unknown };
    if (!('result' in body) && error === undefined) return false;
    if (typeof id !== 'number' || !this.pendingSubscribes.has(id)) return true;
    if (error !== undefined) {
      const why = `SUBSCRIBE refused by the exchange: ${JSON.stringify(error).slice(0, 200)}`;
      this.owner.opts.logger?.error({ connection: this.id, streams: this.names.length }, why);
      this.closedReason = why;
      this.markDown(why);
      ws.close(1008, 'subscription refused');
      return true;
    }
    this.pendingSubscribes.delete(id);
    if (this.pendingSubscribes.size === 0 && this.unsentBatches === 0) this.subscribed();
    return true;
  }

  /** Every stream of the connection is subscribed: the connection is up. */
  private subscribed(): void {
    const log = this.owner.opts.logger;
    this.attempt = 0;
    this.up = true;
    this.reason = undefined;
    log?.info({ connection: this.id, streams: this.expected.size }, 'kline stream connected');
    this.owner.emit('connected', this.id);
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
  }

  private markDown(reason: string): void {
    if (this.up) this.notUpSince = Date.now();
    this.up = false;
    this.reason = reason;
  }

  /** Any frame from the server proves the connection alive; silence past the timeout kills it. */
  private feedWatchdog(ws: WebSocket): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.closedReason = `no message or ping for ${this.pingTimeoutMs} ms`;
      this.owner.opts.logger?.warn(
        { connection: this.id, timeoutMs: this.pingTimeoutMs },
        'no message or ping: terminating dead connection',
      );
      ws.terminate();
    }, this.pingTimeoutMs);
  }
}
