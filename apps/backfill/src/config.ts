import { type Interval, parseInterval, parseSymbol } from '@regime/candles';
import { parsedList, url } from '@regime/service';
import { z } from 'zod';

/** Environment of the backfill; every value can be overridden by a CLI flag of the same meaning. */
export const configSchema = z.object({
  QUESTDB_HTTP: url('http://127.0.0.1:9000', ['http', 'https']),
  QUESTDB_PG_URL: url('postgres://admin:quest@127.0.0.1:8812/qdb', ['postgres', 'postgresql']),
  BINANCE_REST_URL: url('https://api.binance.com', ['http', 'https']),
  SYMBOLS: parsedList('BTCUSDT', parseSymbol),
  INTERVALS: parsedList<Interval>('5m,15m,1h', parseInterval),
});

export type BackfillEnv = z.infer<typeof configSchema>;
