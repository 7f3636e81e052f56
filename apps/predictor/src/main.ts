import { ConfigError, createLogger, stopOnSignals } from '@regime/service';
import { Command } from 'commander';
import { loadPredictorConfig } from './config.ts';
import { startPredictor } from './predictor.ts';

new Command('predictor')
  .description(
    'Scheduled regime predictions: official every 5 minutes on closed candles, live every minute on the ' +
      'in-progress candle, written to QuestDB regime_predictions. Several processes may share one queue. ' +
      'Stop with SIGINT/SIGTERM (twice to abandon the jobs in progress).',
  )
  .addHelpText(
    'after',
    [
      '',
      'Configured by the environment (every variable and default: apps/predictor/README.md), chiefly:',
      '  SYMBOLS, MODES                     pairs predicted (BTCUSDT); official,live',
      '  QUESTDB_HTTP, QUESTDB_PG_URL       QuestDB writes (ILP over HTTP) and reads (pg)',
      '  REDIS_URL                          BullMQ job schedulers and queue',
      '  MODEL_DIR                          model artifact folder (the shipped model), reloaded on change',
      '  OFFICIAL_OFFSET_MS                 official run time after each 5m close (3000)',
      '  CLOCK, TIME_SCALE, BINANCE_REST_URL  wall clock, or follow an (accelerated) exchange clock',
      '  METRICS_PORT, METRICS_HOST         /healthz and /metrics (9465 on 127.0.0.1)',
    ].join('\n'),
  )
  .parse(process.argv);

const log = createLogger('predictor');

async function main(): Promise<void> {
  const config = loadPredictorConfig();
  const predictor = await startPredictor(config, log);
  stopOnSignals(() => predictor.close(), log, 'finishing the jobs in progress');
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else log.fatal({ err: error }, 'predictor failed to start');
  process.exit(1);
});
