import type { Interval } from './interval.ts';

/** One OHLCV candle. Times are epoch milliseconds, UTC. */
export interface Candle {
  /** Candle open time (the designated timestamp in QuestDB). */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base-asset volume. */
  volume: number;
  /** Binance convention: openTime + interval − 1 ms. */
  closeTime: number;
  /** False while the candle is still in progress. */
  closed: boolean;
  /** Optional fields: present when the source has them (REST, WebSocket, 15m/1h files), absent otherwise. */
  quoteVolume?: number;
  trades?: number;
  takerBuyBaseVolume?: number;
  takerBuyQuoteVolume?: number;
}

/** A candle together with the stream it belongs to. */
export interface Kline extends Candle {
  symbol: string;
  interval: Interval;
}
