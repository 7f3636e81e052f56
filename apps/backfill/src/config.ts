import { type Interval, parseInterval, parseSymbol } from '@regime/candles';
import { csv, url } from '@regime/service';
import { z } from 'zod';

/** A comma-separated env list whose items all pass `parse` (which throws a readable message otherwise). */
const parsedList = <T>(fallback: string, parse: (item: string) => T) =>
  csv(fallback).transform((items, ctx) => {
    const out: T[] = [];
    for (const item of items) {
      try {
        out.push(parse(item));
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }
    if (out.length === 0 && items.length === 0)
      ctx.addIssue({ code: 'custom', message: 'must not be empty' });
    return [...new Set(out)];
  });

/** Environment of the backfill; every value can be overridden by a CLI flag of the same meaning. */
export const configSchema = z.object({
  QUESTDB_HTTP: url('http://127.0.0.1:9000', ['http', 'https']),
  QUESTDB_PG_URL: url('postgres://admin:quest@127.0.0.1:8812/qdb', ['postgres', 'postgresql']),
  BINANCE_REST_URL: url('https://api.binance.com', ['http', 'https']),
  SYMBOLS: parsedList('BTCUSDT', parseSymbol),
  INTERVALS: parsedList<Interval>('5m,15m,1h', parseInterval),
});

export type BackfillEnv = z.infer<typeof configSchema>;
