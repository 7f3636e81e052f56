import { ConnectAttemptBudget } from '@regime/binance';
import { QuestDb } from '@regime/questdb';
import { createLogger, loadConfig, redactText, startOpsServer } from '@regime/service';
import { Command } from 'commander';
import { collectDefaultMetrics } from 'prom-client';
import { Collector } from './collector.ts';
import { configSchema } from './config.ts';

new Command('collector')
  .description(
    'Long-running Binance kline collector: WebSocket streams → QuestDB, with REST gap fills on start, ' +
      'after reconnects and when a stream skips a close. Stop with SIGINT/SIGTERM (held candles are written).',
  )
  .addHelpText(
    'after',
    [
      '',
      'Configured by the environment (see apps/collector/README.md):',
      '  SYMBOLS, INTERVALS                 streams collected (BTCUSDT; 5m,15m,1h)',
      '  BINANCE_WS_URL, BINANCE_REST_URL   the exchange (real Binance, or the replay exchange)',
      '  QUESTDB_HTTP, QUESTDB_PG_URL       QuestDB writes (ILP over HTTP) and reads (pg)',
      '  LIVE_FLUSH_MS                      in-progress candles written at most this often (2000)',
      '  METRICS_PORT, METRICS_HOST         /healthz and /metrics (9464 on 127.0.0.1)',
      '  GAP_FILL_LOOKBACK_HOURS            start-up gap fill for a stream with nothing stored (24)',
      '  WS_CONNECT_ATTEMPTS_PER_5MIN       WebSocket connection attempts per 5 minutes (300: Binance per IP)',
    ].join('\n'),
  )
  .parse(process.argv);

const logger = createLogger('collector');

async function main(): Promise<void> {
  const config = loadConfig(configSchema);
  const db = await QuestDb.connect({ httpUrl: config.QUESTDB_HTTP, pgUrl: config.QUESTDB_PG_URL });
  const collector = await Collector.start(
    {
      symbols: config.SYMBOLS,
      intervals: config.INTERVALS,
      restUrl: config.BINANCE_REST_URL,
      wsUrl: config.BINANCE_WS_URL,
      liveFlushMs: config.LIVE_FLUSH_MS,
      lookbackMs: config.GAP_FILL_LOOKBACK_HOURS * 3_600_000,
    },
    { db, logger, stream: { connectBudget: new ConnectAttemptBudget(config.WS_CONNECT_ATTEMPTS_PER_5MIN) } },
  );
  collectDefaultMetrics({ register: collector.metrics.registry });
  const ops = await startOpsServer({
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    registry: collector.metrics.registry,
    health: () => collector.health(),
  });
  logger.info({ port: ops.port }, 'serving /healthz and /metrics');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: flushing held candles');
    await collector.stop();
    await ops.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(redactText(`collector failed to start: ${error.message}`));
  process.exit(1);
});
