import { sharedKlinesDir } from '@regime/candles/files';
import { startReplayExchange } from '@regime/replay-exchange';
import { createLogger } from '@regime/service';
import { Command } from 'commander';
import { type RawCliOptions, replayOptionsFromCli } from './config.ts';

const program = new Command('exchange-replay')
  .description(
    'Binance-compatible REST (/api/v3/klines, /time, /ping, /exchangeInfo) and WebSocket kline streams,\n' +
      'replaying real candles from ../shared/data/klines on a virtual clock, with fault injection.',
  )
  .option('--data <dir>', 'candle files in the ../shared/data/klines layout', sharedKlinesDir())
  .option('--port <port>', 'port for REST and WebSocket (0 = any free port)', '8765')
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--speed <x>', 'virtual seconds per wall second (600 = a 5m candle every 0.5 s)', '1')
  .option('--from <iso>', 'virtual start instant, e.g. 2024-03-01 or 2024-03-01T12:00Z (required)')
  .option('--to <iso>', 'virtual end instant: the clock stops there')
  .option('--symbols <list>', 'symbols served, e.g. BTCUSDT,ETHUSDT (default: every symbol in --data)')
  .option(
    '--copies <n>',
    'also serve each symbol under N other names (C001BTCUSDT, …) with the same candles, for load tests',
  )
  .option('--intervals <list>', 'intervals served (default 1m,5m,15m,1h)')
  .option('--update-every-ms <ms>', 'virtual ms between in-progress kline updates', '2000')
  .option('--weight-limit <n>', 'REST request weight allowed per minute before 429s', '6000')
  .option('--drop-every <s>', 'fault: terminate every WebSocket connection every S wall seconds')
  .option('--rate-limit-every <n>', 'fault: answer every Nth REST request with 429 + Retry-After')
  .option('--retry-after <s>', 'Retry-After seconds sent with injected 429s', '1')
  .option('--malformed-every <n>', 'fault: after every Nth WebSocket message send one malformed message')
  .option('--server-error-every <n>', 'fault: answer every Nth REST request with 503')
  .option('--delay-ms <ms>', 'fault: delay every WebSocket message by MS wall ms')
  .addHelpText(
    'after',
    '\nExample:\n  npm run exchange:replay -- --from 2024-03-01 --speed 600 --drop-every 20 --rate-limit-every 50\n' +
      'Then point BINANCE_REST_URL=http://127.0.0.1:8765 and BINANCE_WS_URL=ws://127.0.0.1:8765 at it.',
  );

async function main(): Promise<void> {
  program.parse();
  const logger = createLogger('exchange-replay');
  let options: ReturnType<typeof replayOptionsFromCli>;
  try {
    options = replayOptionsFromCli(program.opts<RawCliOptions>());
  } catch (error) {
    console.error((error as Error).message);
    console.error('\nRun with --help for usage.');
    process.exit(2);
  }
  const exchange = await startReplayExchange({ ...options, logger });
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  logger.info(
    {
      restUrl: exchange.restUrl,
      wsUrl: exchange.wsUrl,
      from: iso(options.from),
      to: options.to === undefined ? 'open-ended' : iso(options.to),
      speed: options.speed,
      faults: Object.fromEntries(Object.entries(options.faults ?? {}).filter(([, v]) => v !== undefined)),
    },
    `replay exchange listening on ${exchange.restUrl} (REST) and ${exchange.wsUrl} (WebSocket)`,
  );
  const status = setInterval(() => {
    const s = exchange.stats;
    logger.info(
      { ...s },
      `virtual time ${iso(exchange.now())}: ${s.wsOpen} clients, ${s.closedKlinesSent} closed klines sent, ${s.restRequests} REST requests`,
    );
  }, 10_000);
  const shutdown = async (signal: string) => {
    logger.info(`${signal}: shutting down`);
    clearInterval(status);
    await exchange.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
