import { closesAt, type Interval } from '@regime/candles';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface NewestCandle {
  symbol: string;
  interval: Interval;
  openTime: number;
}

/** The collector's Prometheus metrics, on their own registry (tests run several collectors in one process). */
export function collectorMetrics(newestClosed: () => NewestCandle[], clock: () => number) {
  const registry = new Registry();
  const metrics = {
    registry,
    candlesWritten: new Counter({
      name: 'collector_candles_written_total',
      help: 'Candles written to QuestDB, by interval and state (closed or live = in progress)',
      labelNames: ['interval', 'state'] as const,
      registers: [registry],
    }),
    gapFilled: new Counter({
      name: 'collector_gap_filled_candles_total',
      help: 'Closed candles fetched over REST to fill a gap in the stream (start-up, reconnect, skipped close)',
      labelNames: ['interval'] as const,
      registers: [registry],
    }),
    exchangeGaps: new Counter({
      name: 'collector_exchange_gap_candles_total',
      help: 'Candles the exchange itself has no data for (found while gap filling)',
      labelNames: ['interval'] as const,
      registers: [registry],
    }),
    reconnects: new Counter({
      name: 'collector_reconnects_total',
      help: 'WebSocket reconnects',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'collector_rejected_messages_total',
      help: 'Stream messages and candles refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    futureRows: new Counter({
      name: 'collector_future_rows_total',
      help: 'Rows found in klines at start-up dated after the exchange clock (ignored by the gap fill)',
      labelNames: ['interval'] as const,
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'collector_duplicate_closed_candles_total',
      help: 'Closed candles received again (not written twice)',
      labelNames: ['interval'] as const,
      registers: [registry],
    }),
    writeFailures: new Counter({
      name: 'collector_write_failures_total',
      help: 'Failed QuestDB writes (retried with backoff; nothing is dropped)',
      registers: [registry],
    }),
    writeSeconds: new Histogram({
      name: 'collector_write_seconds',
      help: 'Duration of one acknowledged ILP write',
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    connected: new Gauge({
      name: 'collector_stream_connected',
      help: '1 while every WebSocket connection is open and subscribed to all its streams',
      registers: [registry],
    }),
    connectionsDown: new Gauge({
      name: 'collector_stream_connections_down',
      help: 'WebSocket connections not open or not subscribed (each carries up to 1024 streams)',
      registers: [registry],
    }),
    newestAge: new Gauge({
      name: 'collector_newest_candle_age_seconds',
      help: 'Seconds since the newest closed candle of the stream closed; grows past the interval when the stream stalls',
      labelNames: ['symbol', 'interval'] as const,
      registers: [registry],
      collect() {
        const now = clock();
        for (const c of newestClosed()) {
          this.set(
            { symbol: c.symbol, interval: c.interval },
            (now - closesAt(c.interval, c.openTime)) / 1000,
          );
        }
      },
    }),
  };
  return metrics;
}

export type CollectorMetrics = ReturnType<typeof collectorMetrics>;
