import { ConfigError, createLogger, stopOnSignals } from '@regime/service';
import { Command } from 'commander';
import { loadScorerConfig } from './config.ts';
import { startScorer } from './scorer.ts';

new Command('scorer')
  .description(
    'Scores every official prediction once its regime has settled: the realised regime (labeler 2 on the ' +
      'candles up to T + 6 h) next to the predicted one, written to QuestDB regime_outcomes. Runs a BullMQ ' +
      'job scheduler; several processes may share one queue. Stop with SIGINT/SIGTERM.',
  )
  .addHelpText(
    'after',
    [
      '',
      'Configured by the environment (every variable and default: apps/scorer/README.md), chiefly:',
      '  SYMBOLS                            pairs scored (BTCUSDT)',
      '  QUESTDB_HTTP, QUESTDB_PG_URL       QuestDB writes (ILP over HTTP) and reads (pg)',
      '  REDIS_URL                          BullMQ job scheduler and queue',
      '  SCORE_EVERY_MS, SCORE_OFFSET_MS    tick period (300000) and its offset after the boundary (30000)',
      '  SCORE_LOOKBACK_MS                  how far back unscored predictions are looked for (7 days)',
      '  SCORE_GIVE_UP_MS                   how long a window with missing candles is waited for (1 h)',
      '  CLOCK                              wall (default) or exchange: follow BINANCE_REST_URL /api/v3/time',
      '                                     (the replay exchange; TIME_SCALE = its speed)',
      '  METRICS_PORT                       /healthz and /metrics (9466)',
    ].join('\n'),
  )
  .parse(process.argv);

const log = createLogger('scorer');

async function main(): Promise<void> {
  const config = loadScorerConfig();
  const scorer = await startScorer(config, log);
  stopOnSignals(() => scorer.close(), log, 'finishing the tick in progress');
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else log.fatal({ err: error }, 'scorer failed to start');
  process.exit(1);
});
