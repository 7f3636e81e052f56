import type { Interval } from '@regime/candles';
import type { Logger } from '@regime/service';
import type { CandleStore } from './candle-store.ts';
import type { VirtualClock } from './clock.ts';
import type { PartialBuilder } from './partial.ts';

export interface ReplayFaults {
  /** Terminate every WebSocket connection every N wall seconds. */
  dropConnectionsEverySec?: number;
  /** Answer every Nth REST request with 429 + Retry-After. */
  rateLimitEveryN?: number;
  /** Retry-After seconds sent with injected 429s (default 1). */
  retryAfterSec?: number;
  /** Answer every Nth REST request with 503 (Binance's "server overloaded"), counted apart from 429s. */
  serverErrorEveryN?: number;
  /** After every Nth WebSocket message on a connection, send one extra malformed message. */
  malformedEveryN?: number;
  /** Delay every WebSocket message by this many wall ms. */
  delayMs?: number;
}

export interface ReplayStats {
  restRequests: number;
  /** 429 answers: injected by the fault flag or earned by exceeding the weight limit. */
  rateLimited: number;
  /** 503 answers injected by the serverErrorEveryN fault. */
  serverErrors: number;
  /** WebSocket upgrade requests, refused ones included. */
  wsConnectAttempts: number;
  /** Upgrades refused for passing 300 attempts per 5 minutes from one IP (Binance's limit). */
  refusedConnectAttempts: number;
  /** The most connection attempts from one IP seen in any 5-minute window. */
  maxConnectAttemptsIn5Min: number;
  wsConnections: number;
  /** Messages received from clients (requests, pings, pongs). */
  wsIncoming: number;
  /** The most messages one connection sent in any second (Binance disconnects past 5). */
  maxIncomingPerSecond: number;
  wsOpen: number;
  wsMessages: number;
  closedKlinesSent: number;
  malformedSent: number;
  /** Connections closed for sending more than 5 messages in a second. */
  rateLimitedConnections: number;
  /** Times the drop fault fired, and connections it terminated. */
  drops: number;
  droppedConnections: number;
  pingsSent: number;
}

/** What the REST and WebSocket sides share. */
export interface ReplayContext {
  store: CandleStore;
  partials: PartialBuilder;
  clock: VirtualClock;
  intervals: readonly Interval[];
  /** Exclusive upper bound on open time of anything served. */
  to: number;
  /** REST weight per wall minute before 429s. */
  weightLimit1m: number;
  faults: ReplayFaults;
  stats: ReplayStats;
  logger: Logger;
}
