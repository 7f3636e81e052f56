import { BinanceRest } from '@regime/binance';
import { parseSymbol } from '@regime/candles';
import {
  CandlesNotReadyError,
  FEATURE_INTERVALS,
  historyWarmup,
  inputsAsOf,
  type PredictionInputs,
  predictRegimes,
  SymbolCaches,
} from '@regime/inference';
import { defaultModelDir, loadRegimeModel } from '@regime/model/runtime';
import { ConfigError, createLogger, exchangeClock } from '@regime/service';
import { Command, InvalidArgumentError } from 'commander';
import { CandleMemory } from './candle-memory.ts';
import { loadConsoleConfig } from './config.ts';
import { type ConsoleRow, renderTable } from './console-table.ts';
import { ExchangeUnreachableError, probeExchange } from './exchange-probe.ts';
import { latestDueAsOf, MODE_STEP_MS, type PredictionMode } from './schedule.ts';

const log = createLogger('predictor-console');

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
};

const program = new Command('regime')
  .description(
    "Prints each symbol's current market regime and the six regime probabilities, every minute (live) or every\n" +
      '5 minutes (--official). Needs only the exchange REST API: no QuestDB, no Redis.',
  )
  .option(
    '--official',
    'predict on closed 5m candles every 5 minutes instead of on the live candle every minute',
  )
  .option('--symbols <list>', 'comma-separated symbols (default: $SYMBOLS or BTCUSDT)')
  .option(
    '--rest-url <url>',
    'exchange REST base URL (default: $BINANCE_REST_URL or https://api.binance.com)',
  )
  .option('--model-dir <dir>', 'model artifact folder (default: $MODEL_DIR or the shipped model)')
  .option(
    '--time-scale <n>',
    'exchange clock speed, for the replay exchange at N× (default: $TIME_SCALE or 1)',
    positive,
  )
  .option('--once', 'print one table and exit')
  .addHelpText(
    'after',
    '\nTime follows the exchange (GET /api/v3/time), so pointing --rest-url at the replay exchange works at any speed.',
  );

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{
    official?: boolean;
    symbols?: string;
    restUrl?: string;
    modelDir?: string;
    timeScale?: number;
    once?: boolean;
  }>();
  const env = loadConsoleConfig({
    ...process.env,
    ...(opts.restUrl ? { BINANCE_REST_URL: opts.restUrl } : {}),
    ...(opts.symbols ? { SYMBOLS: opts.symbols } : {}),
    ...(opts.timeScale ? { TIME_SCALE: String(opts.timeScale) } : {}),
  });
  const symbols = env.SYMBOLS.map(parseSymbol);
  const mode: PredictionMode = opts.official ? 'official' : 'live';
  const offsetMs = mode === 'official' ? env.OFFICIAL_OFFSET_MS : env.LIVE_OFFSET_MS;

  // Fail fast, in one line, when there is no exchange (offline): no retries, no stack traces.
  await probeExchange(env.BINANCE_REST_URL);
  const model = await loadRegimeModel(opts.modelDir ?? env.MODEL_DIR ?? defaultModelDir());
  const rest = new BinanceRest({ baseUrl: env.BINANCE_REST_URL, logger: log });
  const clock = await exchangeClock({
    serverTime: () => rest.serverTime(),
    timeScale: env.TIME_SCALE,
    pollMs: env.CLOCK_POLL_MS,
    onError: (error) => log.warn({ err: error }, 'exchange clock poll failed'),
  });
  const warmup = historyWarmup();
  // The warm-up history plus the candle containing T plus the one in progress now.
  const keep = Object.fromEntries(FEATURE_INTERVALS.map((i) => [i, warmup[i] + 2])) as typeof warmup;
  const memory = new CandleMemory(rest, keep);
  // One model for the console's lifetime: each symbol's views and answers are reused minute to minute.
  const caches = new Map(symbols.map((symbol) => [symbol, new SymbolCaches()]));
  log.info({ symbols, mode, model: model.version, exchange: env.BINANCE_REST_URL }, 'loading candles');
  for (const symbol of symbols) await memory.load(symbol);

  const sleepUntil = async (instant: number) => {
    for (let left = instant - clock.now(); left > 0; left = instant - clock.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(5, left / env.TIME_SCALE))));
    }
  };

  let asOf = latestDueAsOf(mode, clock.now(), offsetMs);
  for (;;) {
    const outcomes = await predictAsOf(asOf);
    console.log(`\n${renderTable(asOf, mode, model.version, outcomes)}`);
    if (opts.once) break;
    asOf += MODE_STEP_MS[mode];
    await sleepUntil(asOf + offsetMs);
  }
  clock.close();
  model.dispose();

  /**
   * Refreshes the candles and predicts every symbol as of T in one model call. A symbol whose
   * candles for T are not on the exchange yet is retried a few times, then shown as not ready.
   */
  async function predictAsOf(t: number): Promise<ConsoleRow[]> {
    const requests: { symbol: string; asOf: number; inputs: PredictionInputs; caches?: SymbolCaches }[] = [];
    const failed = new Map<string, Error>();
    let waiting = symbols;
    for (let attempt = 1; waiting.length > 0; attempt++) {
      const notReady: string[] = [];
      for (const symbol of waiting) {
        try {
          await memory.refresh(symbol);
          requests.push({
            symbol,
            asOf: t,
            inputs: inputsAsOf(memory.get(symbol), mode, t, warmup),
            caches: caches.get(symbol)!,
          });
          failed.delete(symbol);
        } catch (error) {
          failed.set(symbol, error as Error);
          if (error instanceof CandlesNotReadyError && attempt < 5) notReady.push(symbol);
        }
      }
      waiting = notReady;
      if (waiting.length > 0)
        await new Promise((resolve) => setTimeout(resolve, Math.max(50, 1000 / env.TIME_SCALE)));
    }
    const outcomes = await predictRegimes(model, requests);
    for (const c of caches.values()) c.forgetBefore(t);
    const bySymbol = new Map(requests.map((r, i) => [r.symbol, outcomes[i]!]));
    return symbols.map((symbol) => ({
      symbol,
      outcome: bySymbol.get(symbol) ?? { ok: false, error: failed.get(symbol) ?? new Error('no candles') },
    }));
  }
}

main().catch((error) => {
  if (error instanceof ConfigError || error instanceof ExchangeUnreachableError) console.error(error.message);
  else log.error({ err: error }, 'console mode stopped');
  process.exit(1);
});
