import { type Interval, parseInterval, parseIsoInstant, parseSymbol } from '@regime/candles';
import { Command, InvalidArgumentError } from 'commander';
import type { BackfillEnv } from './config.ts';

/** Flags as commander hands them over (all optional: the environment fills the rest). */
export interface BackfillFlags {
  symbols?: string;
  intervals?: string;
  from?: string;
  to?: string;
  days: string;
  concurrency: string;
  batchSize: string;
  restUrl?: string;
  questdbHttp?: string;
  questdbPgUrl?: string;
}

export interface BackfillRun {
  symbols: string[];
  intervals: Interval[];
  from?: number;
  to?: number;
  defaultDays: number;
  concurrency: number;
  batchSize: number;
  restUrl: string;
  questdbHttp: string;
  questdbPgUrl: string;
}

export function backfillCommand(): Command {
  return new Command('backfill')
    .description(
      'Load closed Binance candles into QuestDB. Resumable: candles already stored are not fetched again.\n' +
        'Defaults come from the environment (SYMBOLS, INTERVALS, BINANCE_REST_URL, QUESTDB_HTTP, QUESTDB_PG_URL).',
    )
    .option('-s, --symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT (default: $SYMBOLS)')
    .option('-i, --intervals <list>', 'comma-separated intervals, e.g. 5m,15m,1h (default: $INTERVALS)')
    .option('--from <date>', 'start of the period, ISO date or date-time in UTC (default: --days before now)')
    .option('--to <date>', 'end of the period, exclusive (default: now)')
    .option('--days <n>', 'length of the default period in days', '45')
    .option('--concurrency <n>', 'series loaded at the same time', '2')
    .option('--batch-size <n>', 'candles per QuestDB write', '10000')
    .option('--rest-url <url>', 'Binance REST base URL (default: $BINANCE_REST_URL)')
    .option('--questdb-http <url>', 'QuestDB HTTP/ILP URL (default: $QUESTDB_HTTP)')
    .option('--questdb-pg-url <url>', 'QuestDB PG wire URL (default: $QUESTDB_PG_URL)')
    .addHelpText(
      'after',
      '\nExample:\n  npm run backfill -- --symbols BTCUSDT,ETHUSDT --intervals 5m,15m,1h --from 2024-01-01 --to 2024-03-01',
    );
}

/** Merges flags over the validated environment; throws InvalidArgumentError with a readable message. */
export function resolveRun(flags: BackfillFlags, env: BackfillEnv): BackfillRun {
  const list = (value: string | undefined, fallback: string[]) =>
    value === undefined
      ? fallback
      : value
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x.length > 0);
  const symbols = [...new Set(list(flags.symbols, env.SYMBOLS).map(checked(parseSymbol)))];
  const intervals = [...new Set(list(flags.intervals, env.INTERVALS).map(checked(parseInterval)))];
  if (symbols.length === 0) throw new InvalidArgumentError('no symbols given');
  if (intervals.length === 0) throw new InvalidArgumentError('no intervals given');
  const from = flags.from === undefined ? undefined : parseInstant(flags.from, '--from');
  const to = flags.to === undefined ? undefined : parseInstant(flags.to, '--to');
  if (from !== undefined && to !== undefined && from >= to) {
    throw new InvalidArgumentError(`--from ${flags.from} must be before --to ${flags.to}`);
  }
  return {
    symbols,
    intervals,
    from,
    to,
    defaultDays: positiveInt(flags.days, '--days'),
    concurrency: positiveInt(flags.concurrency, '--concurrency'),
    batchSize: positiveInt(flags.batchSize, '--batch-size'),
    restUrl: flags.restUrl ?? env.BINANCE_REST_URL,
    questdbHttp: flags.questdbHttp ?? env.QUESTDB_HTTP,
    questdbPgUrl: flags.questdbPgUrl ?? env.QUESTDB_PG_URL,
  };
}

/** ISO date (midnight UTC) or date-time (without a zone: UTC); dates that do not exist are refused. */
export function parseInstant(value: string, flag: string): number {
  const parsed = parseIsoInstant(value);
  if (parsed.ok) return parsed.t;
  throw new InvalidArgumentError(
    `${flag} "${value}" ${parsed.why}: expected an ISO date such as 2024-01-01 or 2024-01-01T12:00Z`,
  );
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${flag} "${value}" must be a whole number ≥ 1`);
  return n;
}

function checked<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}
