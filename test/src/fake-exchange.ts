import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTERVAL_MS, type Interval, isInterval } from '@regime/candles';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * A scriptable Binance look-alike for the bad-input tests: the replay exchange only ever sends what
 * its files hold (plus a fixed rotation of faults), while these tests need to send one exact bad row,
 * one exact bad frame or one exact bad header. REST serves a synthetic, valid price series unless a
 * test overrides a row or the whole answer; WS frames are pushed by the test.
 */

export type RestRow = unknown[];

export interface FakeExchangeOptions {
  /** The exchange's clock (epoch ms), read on every request. */
  now: () => number;
  /** Symbols listed; others get -1121 "Invalid symbol." (default BTCUSDT). */
  symbols?: string[];
}

export interface RecordedRequest {
  path: string;
  query: URLSearchParams;
  at: number;
}

/** One answer in place of the normal one: status, headers, body text. */
export interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export class FakeExchange {
  readonly requests: RecordedRequest[] = [];
  /** Text frames received from WebSocket clients (SUBSCRIBE requests), with the socket's number. */
  readonly clientFrames: { text: string; at: number; socket: number }[] = [];
  /** Request URLs of the WebSocket upgrades. */
  readonly upgradeUrls: string[] = [];
  /** Row overrides by `SYMBOL interval openTime`: the row sent instead of the synthetic one. */
  readonly rowOverrides = new Map<string, RestRow>();
  /** Answers served (and consumed) before normal ones, for /api/v3/klines. */
  readonly cannedKlines: CannedAnswer[] = [];
  readonly sockets = new Set<WebSocket>();
  /** WebSocket connection attempts (upgrade requests), accepted or not. */
  upgrades = 0;
  private accepted = 0;
  private readonly byNumber = new Map<number, WebSocket>();
  restUrl = '';
  wsUrl = '';
  private readonly server = createServer((req, res) => this.onRequest(req, res));
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly symbols: Set<string>;
  /** Connections beyond this many open ones are refused (to make a connection "down"). */
  maxConnections = Number.POSITIVE_INFINITY;

  constructor(private readonly opts: FakeExchangeOptions) {
    this.symbols = new Set(opts.symbols ?? ['BTCUSDT']);
    this.server.on('upgrade', (req, socket, head) => {
      this.upgrades++;
      this.upgradeUrls.push(req.url ?? '');
      if (this.sockets.size >= this.maxConnections) {
        socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  static async start(opts: FakeExchangeOptions): Promise<FakeExchange> {
    const ex = new FakeExchange(opts);
    await new Promise<void>((resolve) => ex.server.listen(0, '127.0.0.1', resolve));
    const { port } = ex.server.address() as AddressInfo;
    ex.restUrl = `http://127.0.0.1:${port}`;
    ex.wsUrl = `ws://127.0.0.1:${port}`;
    return ex;
  }

  /** The synthetic, valid candle of a slot (prices wander deterministically around a per-symbol level). */
  static row(symbol: string, interval: Interval, openTime: number): RestRow {
    const i = Math.round(openTime / INTERVAL_MS[interval]);
    const level = 100 + (symbol.charCodeAt(0) % 10) * 10;
    const open = level + (i % 7);
    const close = level + ((i + 3) % 7);
    const high = Math.max(open, close) + 1;
    const low = Math.min(open, close) - 1;
    const volume = 10 + (i % 5);
    return [
      openTime,
      open.toFixed(8),
      high.toFixed(8),
      low.toFixed(8),
      close.toFixed(8),
      volume.toFixed(8),
      openTime + INTERVAL_MS[interval] - 1,
      (volume * 100).toFixed(8),
      5 + (i % 3),
      (volume / 2).toFixed(8),
      (volume * 50).toFixed(8),
      '0',
    ];
  }

  /** A kline WebSocket event (combined form) for the slot, with event time E. */
  static klineFrame(
    symbol: string,
    interval: Interval,
    openTime: number,
    opts: { closed: boolean; eventTime: number; row?: RestRow },
  ): string {
    const r = opts.row ?? FakeExchange.row(symbol, interval, openTime);
    const data = {
      e: 'kline',
      E: opts.eventTime,
      s: symbol,
      k: {
        t: r[0],
        T: r[6],
        s: symbol,
        i: interval,
        f: 1,
        L: 2,
        o: r[1],
        c: r[4],
        h: r[2],
        l: r[3],
        v: r[5],
        n: r[8],
        x: opts.closed,
        q: r[7],
        V: r[9],
        Q: r[10],
        B: '0',
      },
    };
    return JSON.stringify({ stream: `${symbol.toLowerCase()}@kline_${interval}`, data });
  }

  /** Sends a text frame to the n-th accepted connection (0-based). */
  sendTo(socket: number, frame: string): void {
    const ws = this.byNumber.get(socket);
    if (ws?.readyState === WebSocket.OPEN) ws.send(frame);
  }

  /** Sends a text frame to every connected client. */
  broadcast(frame: string): void {
    for (const ws of this.sockets) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
  }

  /** Streams named in every SUBSCRIBE frame received so far. */
  subscribedStreams(): string[] {
    return this.clientFrames.flatMap(({ text }) => {
      try {
        const req = JSON.parse(text) as { method?: string; params?: string[] };
        return req.method === 'SUBSCRIBE' ? (req.params ?? []) : [];
      } catch {
        return [];
      }
    });
  }

  /** Terminates every WebSocket connection. */
  dropConnections(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    const socket = this.accepted++;
    this.sockets.add(ws);
    this.byNumber.set(socket, ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.byNumber.delete(socket);
    });
    ws.on('message', (data) => {
      const text = data.toString();
      this.clientFrames.push({ text, at: Date.now(), socket });
      try {
        const req = JSON.parse(text) as { id?: unknown };
        ws.send(JSON.stringify({ result: null, id: req.id ?? null }));
      } catch {
        ws.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON' }, id: null }));
      }
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ path: url.pathname, query: url.searchParams, at: Date.now() });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/v3/time') {
      json(200, { serverTime: this.opts.now() });
      return;
    }
    if (url.pathname !== '/api/v3/klines') {
      json(404, { code: -1, msg: 'not found' });
      return;
    }
    const canned = this.cannedKlines.shift();
    if (canned) {
      res.writeHead(canned.status, { 'content-type': 'application/json', ...canned.headers });
      res.end(canned.body);
      return;
    }
    const symbol = url.searchParams.get('symbol') ?? '';
    const interval = url.searchParams.get('interval') ?? '';
    if (!this.symbols.has(symbol)) {
      json(400, { code: -1121, msg: 'Invalid symbol.' });
      return;
    }
    if (!isInterval(interval)) {
      json(400, { code: -1120, msg: 'Invalid interval.' });
      return;
    }
    const step = INTERVAL_MS[interval];
    const now = this.opts.now();
    const limit = Number(url.searchParams.get('limit') ?? 500);
    const end = Math.min(Number(url.searchParams.get('endTime') ?? now), now);
    const start = url.searchParams.has('startTime')
      ? Math.ceil(Number(url.searchParams.get('startTime')) / step) * step
      : Math.floor(end / step) * step - (limit - 1) * step;
    const rows: RestRow[] = [];
    for (let t = start; t <= end && rows.length < limit; t += step) {
      rows.push(this.rowOverrides.get(`${symbol} ${interval} ${t}`) ?? FakeExchange.row(symbol, interval, t));
    }
    json(200, rows, { 'x-mbx-used-weight-1m': '10' });
  }
}
