import { type Interval, parseInterval, parseSymbol } from '@regime/candles';
import { bindHost, parsedList, port, url } from '@regime/service';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Environment of the collector, validated at start-up. */
export const configSchema = z.object({
  QUESTDB_HTTP: url('http://127.0.0.1:9000', ['http', 'https']),
  QUESTDB_PG_URL: url('postgres://admin:quest@127.0.0.1:8812/qdb', ['postgres', 'postgresql']),
  BINANCE_REST_URL: url('https://api.binance.com', ['http', 'https']),
  BINANCE_WS_URL: url('wss://stream.binance.com:9443', ['ws', 'wss']),
  SYMBOLS: parsedList('BTCUSDT', parseSymbol),
  INTERVALS: parsedList<Interval>('5m,15m,1h', parseInterval),
  /** In-progress candles are written at most this often (only the newest state per stream). */
  LIVE_FLUSH_MS: positiveInt(2000),
  /** /healthz and /metrics. */
  METRICS_PORT: port(9464),
  /** Address of /healthz and /metrics: this machine only unless opened (compose: 0.0.0.0 in its network). */
  METRICS_HOST: bindHost('127.0.0.1'),
  /** How far back the start-up gap fill reaches for a stream with nothing stored yet. */
  GAP_FILL_LOOKBACK_HOURS: positiveInt(24),
  /**
   * WebSocket connection attempts this collector may make per 5 minutes. Binance allows 300 per IP:
   * collectors sharing one IP (sharded by symbol) split it, e.g. 100 each for three.
   */
  WS_CONNECT_ATTEMPTS_PER_5MIN: z.coerce.number().int().min(1).max(300).default(300),
});

export type CollectorConfig = z.infer<typeof configSchema>;
