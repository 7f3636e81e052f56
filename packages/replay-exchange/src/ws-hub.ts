import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { candleOpenAt, closesAt, INTERVAL_MS, type Interval, isInterval } from '@regime/candles';
import { WebSocket, WebSocketServer } from 'ws';
import { type KlineEvent, klineEvent } from './binance-format.ts';
import type { ReplayContext } from './context.ts';
import { MALFORMED_KINDS, malformedMessage } from './malformed.ts';

const STREAM_NAME = /^([a-z0-9]{2,20})@kline_([0-9a-zA-Z]+)$/;
/** Binance's documented limits per connection: 1024 streams, 5 incoming messages a second (pongs included). */
const MAX_STREAMS_PER_CONNECTION = 1024;
const MAX_INCOMING_PER_SECOND = 5;
/** Binance's limit on WebSocket connection attempts per IP: 300 per 5 minutes. */
const MAX_CONNECT_ATTEMPTS = 300;
const CONNECT_WINDOW_MS = 300_000;
/** Ticks never come closer than this (wall ms): bounds CPU at high speed. */
const MIN_TICK_MS = 20;
const MAX_TICK_MS = 1000;

interface Client {
  ws: WebSocket;
  combined: boolean;
  streams: Set<StreamState>;
  sent: number;
  malformedRotation: number;
  lastPongAt: number;
  /** Wall times of the incoming messages of the last second (for the 5 per second limit). */
  incoming: number[];
  /** Every stream name subscribed, served or not (Binance counts them all against the 1024). */
  names: Set<string>;
}

/** One kline stream with at least one subscriber. */
interface StreamState {
  name: string;
  symbol: string;
  interval: Interval;
  /** Open time of the candle in progress: the next one to close. */
  cursor: number;
  /** Virtual time of the last in-progress update. */
  lastUpdateAt: number;
  clients: Set<Client>;
}

export interface WsHubOptions {
  /** Virtual ms between in-progress updates of a stream (Binance: 2000 for kline streams). */
  updateEveryMs: number;
  /** Wall ms between server pings (Binance: 20 s). */
  pingIntervalMs: number;
  /** A client that has not answered a ping for this long is disconnected (Binance: 1 min). */
  pongTimeoutMs: number;
}

/**
 * Binance-compatible kline streams: `/stream?streams=a/b` (combined, wrapped in {stream,data}),
 * `/ws/<stream>` (raw) and `/ws` + SUBSCRIBE. One scheduler drives every stream from the virtual
 * clock: finals (x:true) exactly once per candle, in order, when their close time passes, and
 * in-progress updates every `updateEveryMs` virtual ms in between.
 */
export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly clients = new Set<Client>();
  private readonly streams = new Map<string, StreamState>();
  /** Wall times of the connection attempts of the last 5 minutes, per client IP. */
  private readonly attemptsByIp = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly pinger: NodeJS.Timeout;
  private readonly dropper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ReplayContext,
    private readonly opts: WsHubOptions,
  ) {
    this.pinger = setInterval(() => this.ping(), opts.pingIntervalMs);
    const dropEvery = ctx.faults.dropConnectionsEverySec;
    if (dropEvery !== undefined && dropEvery > 0) {
      this.dropper = setInterval(() => this.dropAll(), dropEvery * 1000);
    }
    this.schedule(0);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.ctx.stats.wsConnectAttempts++;
    if (!this.countAttempt(req.socket.remoteAddress ?? 'unknown')) {
      this.ctx.stats.refusedConnectAttempts++;
      this.ctx.logger.warn(
        { limit: MAX_CONNECT_ATTEMPTS, windowMs: CONNECT_WINDOW_MS },
        'more than 300 connection attempts in 5 minutes from one IP: refused (as Binance does)',
      );
      socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'ws://replay');
    let names: string[];
    let combined: boolean;
    if (url.pathname === '/stream') {
      combined = true;
      names = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean);
    } else if (url.pathname === '/ws' || url.pathname.startsWith('/ws/')) {
      combined = false;
      names = url.pathname.slice(4).split('/').filter(Boolean);
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (names.length > MAX_STREAMS_PER_CONNECTION) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, names, combined));
  }

  /** Counts a connection attempt from `ip`; false when it is past the per-IP budget. */
  private countAttempt(ip: string): boolean {
    const now = Date.now();
    const recent = (this.attemptsByIp.get(ip) ?? []).filter((t) => now - t < CONNECT_WINDOW_MS);
    recent.push(now);
    this.attemptsByIp.set(ip, recent);
    this.ctx.stats.maxConnectAttemptsIn5Min = Math.max(
      this.ctx.stats.maxConnectAttemptsIn5Min,
      recent.length,
    );
    return recent.length <= MAX_CONNECT_ATTEMPTS;
  }

  /** Terminates every connection (the drop fault). */
  dropAll(): void {
    this.ctx.stats.drops++;
    this.ctx.stats.droppedConnections += this.clients.size;
    this.ctx.logger.info({ connections: this.clients.size }, 'fault: dropping every WebSocket connection');
    for (const client of this.clients) client.ws.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    clearInterval(this.dropper);
    for (const client of this.clients) client.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket, names: string[], combined: boolean): void {
    const client: Client = {
      ws,
      combined,
      streams: new Set(),
      sent: 0,
      malformedRotation: 0,
      lastPongAt: Date.now(),
      incoming: [],
      names: new Set(names),
    };
    this.clients.add(client);
    this.ctx.stats.wsConnections++;
    this.ctx.stats.wsOpen = this.clients.size;
    for (const name of names) this.subscribe(client, name);
    this.ctx.logger.debug({ streams: names.length, combined }, 'WebSocket client connected');
    ws.on('pong', () => {
      client.lastPongAt = Date.now();
      this.countIncoming(client);
    });
    ws.on('ping', () => this.countIncoming(client));
    ws.on('message', (data) => {
      if (this.countIncoming(client)) this.onRequest(client, data.toString());
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      for (const state of client.streams) this.unsubscribe(client, state.name);
      this.clients.delete(client);
      this.ctx.stats.wsOpen = this.clients.size;
    });
    this.schedule(0);
  }

  /**
   * Counts one incoming message; a client past 5 in a second is disconnected, as Binance does.
   * Returns false when the client was disconnected.
   */
  private countIncoming(client: Client): boolean {
    const now = Date.now();
    client.incoming = client.incoming.filter((t) => now - t < 1000);
    client.incoming.push(now);
    this.ctx.stats.wsIncoming++;
    this.ctx.stats.maxIncomingPerSecond = Math.max(
      this.ctx.stats.maxIncomingPerSecond,
      client.incoming.length,
    );
    if (client.incoming.length <= MAX_INCOMING_PER_SECOND) return true;
    this.ctx.stats.rateLimitedConnections++;
    this.ctx.logger.warn(
      { limit: MAX_INCOMING_PER_SECOND },
      'client sent more than 5 messages in a second: disconnecting (as Binance does)',
    );
    client.ws.close(1008, 'Too many messages');
    return false;
  }

  /** SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, as Binance answers them. */
  private onRequest(client: Client, text: string): void {
    let request: { method?: unknown; params?: unknown; id?: unknown };
    try {
      request = JSON.parse(text);
    } catch {
      client.ws.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON' }, id: null }));
      return;
    }
    const id = request.id ?? null;
    const params = Array.isArray(request.params) ? request.params.filter((p) => typeof p === 'string') : [];
    switch (request.method) {
      case 'SUBSCRIBE': {
        const added = new Set(params.filter((name) => !client.names.has(name)));
        if (client.names.size + added.size > MAX_STREAMS_PER_CONNECTION) {
          client.ws.send(
            JSON.stringify({
              error: {
                code: 2,
                msg: `Invalid request: a connection can listen to at most ${MAX_STREAMS_PER_CONNECTION} streams`,
              },
              id,
            }),
          );
          return;
        }
        for (const name of added) client.names.add(name);
        for (const name of params) this.subscribe(client, name);
        client.ws.send(JSON.stringify({ result: null, id }));
        this.schedule(0);
        return;
      }
      case 'UNSUBSCRIBE':
        for (const name of params) {
          client.names.delete(name);
          this.unsubscribe(client, name);
        }
        client.ws.send(JSON.stringify({ result: null, id }));
        return;
      case 'LIST_SUBSCRIPTIONS':
        client.ws.send(JSON.stringify({ result: [...client.streams].map((s) => s.name), id }));
        return;
      default:
        client.ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: unknown method' }, id }));
    }
  }

  private subscribe(client: Client, name: string): void {
    const m = STREAM_NAME.exec(name);
    const symbol = m?.[1]?.toUpperCase();
    const interval = m?.[2];
    if (!symbol || !interval || !isInterval(interval) || !this.ctx.intervals.includes(interval)) {
      this.ctx.logger.warn({ stream: name }, 'subscription to a stream the replay does not serve: ignored');
      return;
    }
    if (!this.ctx.store.hasSymbol(symbol)) {
      this.ctx.logger.warn({ stream: name }, 'subscription to an unknown symbol: no data will flow');
      return;
    }
    let state = this.streams.get(name);
    if (!state) {
      const now = this.ctx.clock.now();
      const cursor = candleOpenAt(interval, now);
      state = { name, symbol, interval, cursor, lastUpdateAt: Number.NEGATIVE_INFINITY, clients: new Set() };
      this.streams.set(name, state);
    }
    state.clients.add(client);
    client.streams.add(state);
  }

  private unsubscribe(client: Client, name: string): void {
    const state = this.streams.get(name);
    if (!state) return;
    state.clients.delete(client);
    client.streams.delete(state);
    // A stream nobody listens to is forgotten: a later subscriber starts from the candle then in
    // progress, exactly like Binance (what was missed must be fetched through REST).
    if (state.clients.size === 0) this.streams.delete(name);
  }

  private schedule(wallMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), wallMs);
  }

  private tick(): void {
    try {
      this.advance();
    } catch (error) {
      // A broken data file must not kill the server: log it and keep the clock running.
      this.ctx.logger.error({ err: error }, 'replay tick failed');
      this.schedule(MAX_TICK_MS);
    }
  }

  /** Sends what the virtual clock has made due, then schedules the next tick. */
  private advance(): void {
    const { clock, store, partials, to } = this.ctx;
    const now = clock.now();
    let nextDue = Number.POSITIVE_INFINITY;
    for (const state of this.streams.values()) {
      const step = INTERVAL_MS[state.interval];
      while (closesAt(state.interval, state.cursor) <= now) {
        const final = state.cursor < to ? store.get(state.symbol, state.interval, state.cursor) : undefined;
        if (final) {
          this.ctx.stats.closedKlinesSent++;
          this.broadcast(state, klineEvent(state.symbol, state.interval, final, now));
        }
        state.cursor += step;
        state.lastUpdateAt = state.cursor;
      }
      if (now - state.lastUpdateAt >= this.opts.updateEveryMs && state.cursor < to) {
        const final = store.get(state.symbol, state.interval, state.cursor);
        if (final)
          this.broadcast(
            state,
            klineEvent(
              state.symbol,
              state.interval,
              partials.asOf(state.symbol, state.interval, final, now),
              now,
            ),
          );
        state.lastUpdateAt = now;
      }
      nextDue = Math.min(
        nextDue,
        closesAt(state.interval, state.cursor),
        state.lastUpdateAt + this.opts.updateEveryMs,
      );
    }
    const wait = Number.isFinite(nextDue) ? clock.wallMsUntil(nextDue) : MAX_TICK_MS;
    this.schedule(Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, wait)));
  }

  private broadcast(state: StreamState, event: KlineEvent): void {
    const data = JSON.stringify(event);
    const combined = `{"stream":"${state.name}","data":${data}}`;
    for (const client of state.clients) {
      this.send(client, client.combined ? combined : data, event, state.name);
    }
  }

  private send(client: Client, text: string, event: KlineEvent, stream: string): void {
    const delay = this.ctx.faults.delayMs ?? 0;
    if (delay > 0) setTimeout(() => this.sendNow(client, text, event, stream), delay);
    else this.sendNow(client, text, event, stream);
  }

  private sendNow(client: Client, text: string, event: KlineEvent, stream: string): void {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    client.ws.send(text);
    client.sent++;
    this.ctx.stats.wsMessages++;
    const every = this.ctx.faults.malformedEveryN;
    if (every !== undefined && every > 0 && client.sent % every === 0) {
      const kind = MALFORMED_KINDS[client.malformedRotation++ % MALFORMED_KINDS.length]!;
      client.ws.send(malformedMessage(kind, event, stream, client.combined));
      this.ctx.stats.malformedSent++;
    }
  }

  private ping(): void {
    const now = Date.now();
    for (const client of this.clients) {
      if (now - client.lastPongAt > this.opts.pongTimeoutMs) {
        this.ctx.logger.info('client did not answer pings: disconnecting');
        client.ws.terminate();
        continue;
      }
      client.ws.ping();
      this.ctx.stats.pingsSent++;
    }
  }
}
