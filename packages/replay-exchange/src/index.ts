import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTERVALS, type Interval, parseSymbol } from '@regime/candles';
import { createLogger, type Logger } from '@regime/service';
import { CandleStore, copyNames, symbolsIn } from './candle-store.ts';
import { VirtualClock } from './clock.ts';
import type { ReplayContext, ReplayFaults, ReplayStats } from './context.ts';
import { PartialBuilder } from './partial.ts';
import { createRestHandler } from './rest.ts';
import { WsHub } from './ws-hub.ts';

export { copyNames } from './candle-store.ts';
export type { ReplayFaults, ReplayStats } from './context.ts';
export { MALFORMED_KINDS, type MalformedKind } from './malformed.ts';
export { interpolate } from './partial.ts';

export interface ReplayOptions {
  /** A directory in the ../shared/data/klines layout (see sharedKlinesDir()). */
  dataDir: string;
  /** Symbols served (default: every symbol folder in dataDir). Others get -1121 "Invalid symbol.". */
  symbols?: string[];
  /**
   * Also serve each symbol under this many other names (`copyNames`: C001BTCUSDT, C002BTCUSDT, …),
   * with the same candles, for load tests at hundreds of pairs. The candles are held once.
   */
  copies?: number;
  /** Intervals served (default 1m, 5m, 15m, 1h). Others get -1120 "Invalid interval.". */
  intervals?: Interval[];
  /** Virtual start instant (epoch ms). */
  from: number;
  /** Virtual end instant: the clock stops there and nothing opening at or after it is served. */
  to?: number;
  /** Virtual ms per wall ms (1 = real time, 600 = 5 minutes every half second). */
  speed: number;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  faults?: ReplayFaults;
  /** Virtual ms between in-progress kline updates of a stream (default 2000, as Binance). */
  updateEveryMs?: number;
  /** REST request weight allowed per wall minute before 429s (default 6000, as Binance). */
  weightLimit1m?: number;
  /** Wall ms between WebSocket pings (default 20000, as Binance). */
  pingIntervalMs?: number;
  /** Default: a logger named exchange-replay, at warn unless LOG_LEVEL says otherwise. */
  logger?: Logger;
}

export interface ReplayExchange {
  /** Base URL for BINANCE_REST_URL, e.g. http://127.0.0.1:40123 */
  restUrl: string;
  /** Base URL for BINANCE_WS_URL, e.g. ws://127.0.0.1:40123 */
  wsUrl: string;
  port: number;
  /** Every symbol served: the sources, then their copies. */
  symbols: readonly string[];
  /** The virtual clock (epoch ms). */
  now(): number;
  /** Terminates every WebSocket connection now (what the drop fault does on its timer). */
  dropConnections(): void;
  close(): Promise<void>;
  readonly stats: Readonly<ReplayStats>;
}

function validate(opts: ReplayOptions): void {
  const problems: string[] = [];
  if (!Number.isFinite(opts.from)) problems.push('from must be an instant (epoch ms)');
  if (opts.to !== undefined && !(opts.to > opts.from)) problems.push('to must be after from');
  if (!(opts.speed > 0) || !Number.isFinite(opts.speed)) problems.push('speed must be a positive number');
  if (opts.copies !== undefined && !(Number.isInteger(opts.copies) && opts.copies >= 0))
    problems.push('copies must be a whole number >= 0');
  if (opts.updateEveryMs !== undefined && !(opts.updateEveryMs > 0))
    problems.push('updateEveryMs must be > 0');
  for (const [name, value] of Object.entries(opts.faults ?? {})) {
    if (value !== undefined && !(Number(value) >= 0)) problems.push(`faults.${name} must be >= 0`);
  }
  if (problems.length) throw new Error(`invalid replay options: ${problems.join('; ')}`);
}

/** Starts a Binance-compatible REST + WebSocket server replaying the candles of `dataDir`. */
export async function startReplayExchange(opts: ReplayOptions): Promise<ReplayExchange> {
  validate(opts);
  const logger = opts.logger ?? createLogger('exchange-replay');
  if (!opts.logger && process.env.LOG_LEVEL === undefined) logger.level = 'warn';
  const sources = (opts.symbols ?? symbolsIn(opts.dataDir)).map(parseSymbol);
  if (sources.length === 0) throw new Error(`no symbols to replay: ${opts.dataDir} has no symbol folders`);
  const copies = copyNames(sources, opts.copies ?? 0);
  const symbols = [...sources, ...copies.keys()];
  const store = new CandleStore(opts.dataDir, symbols, copies);
  const intervals = opts.intervals ?? [...INTERVALS];
  // Load the starting month before the clock starts, so a fast replay does not run ahead of it.
  for (const symbol of symbols) for (const interval of INTERVALS) store.get(symbol, interval, opts.from);
  const clock = new VirtualClock(opts.from, opts.speed, opts.to);
  const stats: ReplayStats = {
    restRequests: 0,
    rateLimited: 0,
    serverErrors: 0,
    wsConnectAttempts: 0,
    refusedConnectAttempts: 0,
    maxConnectAttemptsIn5Min: 0,
    wsConnections: 0,
    wsIncoming: 0,
    maxIncomingPerSecond: 0,
    wsOpen: 0,
    wsMessages: 0,
    closedKlinesSent: 0,
    malformedSent: 0,
    rateLimitedConnections: 0,
    drops: 0,
    droppedConnections: 0,
    pingsSent: 0,
  };
  const ctx: ReplayContext = {
    store,
    partials: new PartialBuilder(store),
    clock,
    intervals,
    to: opts.to ?? Number.POSITIVE_INFINITY,
    weightLimit1m: opts.weightLimit1m ?? 6000,
    faults: opts.faults ?? {},
    stats,
    logger,
  };
  const server = createServer(createRestHandler(ctx));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const hub = new WsHub(ctx, {
    updateEveryMs: opts.updateEveryMs ?? 2000,
    pingIntervalMs: opts.pingIntervalMs ?? 20_000,
    pongTimeoutMs: 60_000,
  });
  server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    restUrl: `http://${shownHost}:${port}`,
    wsUrl: `ws://${shownHost}:${port}`,
    port,
    symbols,
    now: () => clock.now(),
    dropConnections: () => hub.dropAll(),
    stats,
    close: async () => {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
