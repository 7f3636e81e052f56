import { ConfigError, createLogger, stopOnSignals } from '@regime/service';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { loadTrainerConfig } from './config.ts';
import { runDriftCheck } from './drift-job.ts';
import { startTrainer } from './trainer.ts';

const program = new Command('trainer')
  .description(
    'Keeps the model current: retrains a challenger with the shipped recipe on the QuestDB klines every ' +
      'RETRAIN_EVERY (or now, when the live macro-F1 drops or inputs drift), scores it against the champion ' +
      'on the newest settled EVAL_DAYS, and promotes it by switching MODELS_DIR/champion, which the ' +
      "predictor's MODEL_DIR points at. Every step is a model_registry row. Stop with SIGINT/SIGTERM.",
  )
  .option('--once', 'run one retrain cycle now and exit (0 promoted or rejected, 1 failed or refused)')
  .addHelpText(
    'after',
    [
      '',
      'Configured by the environment (every variable and default: apps/trainer/README.md), chiefly:',
      '  MODELS_DIR                 every version, and the champion symlink (./models)',
      "  SYMBOLS, TRAIN_SYMBOLS     pairs trained on (the predictor's, unless TRAIN_SYMBOLS)",
      '  TRAIN_CONFIG               the recipe (packages/model/train.default.json)',
      '  RETRAIN_EVERY              7d, 12h, … or a cron pattern (7d)',
      '  EVAL_DAYS                  evaluation window: the newest settled days (28)',
      '  PROMOTE_F1_TOLERANCE       promote if macro-F1 ≥ champion − this (0.01)',
      "  PROMOTE_MAX_SWITCH_RATIO   … and switches/day ≤ this × the labels' (1.5)",
      '  PROMOTE_MAX_ECE            … and ECE ≤ this (0.05)',
      '  RETRAIN_ON_DROP            live macro-F1 this far below evaluation retrains now (0.1)',
      '  QUESTDB_HTTP, QUESTDB_PG_URL, REDIS_URL, METRICS_PORT (9467)',
    ].join('\n'),
  )
  .parse(process.argv);

const log = createLogger('trainer');

async function once(): Promise<number> {
  const config = loadTrainerConfig();
  const trainer = await startTrainer(config, log, { schedule: false });
  try {
    const request = await trainer.retrainNow('once');
    if (!request.queued) {
      console.error(`not training: retrain ${request.existingJobId} is already queued or running`);
      return 1;
    }
    let bar: cliProgress.SingleBar | undefined;
    if (process.stdout.isTTY) {
      bar = new cliProgress.SingleBar(
        { format: 'retrain |{bar}| {percentage}% {text}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(100, 0, { text: 'queued' });
      trainer.onProgress((p) => bar!.update(Math.round(p.percent), { text: p.text }));
    }
    try {
      const result = await trainer.waitForJob(request.jobId);
      bar?.update(100, { text: result.decision });
      bar?.stop();
      console.log(`${result.version}: ${result.reason}`);
      console.log(`champion: ${result.champion}`);
      return 0;
    } catch (error) {
      bar?.stop();
      console.error((error as Error).message);
      return 1;
    }
  } finally {
    await trainer.close();
  }
}

async function main(): Promise<void> {
  if (program.opts<{ once?: boolean }>().once) {
    process.exitCode = await once();
    return;
  }
  const trainer = await startTrainer(loadTrainerConfig(), log, { schedule: true, driftCheck: runDriftCheck });
  stopOnSignals(() => trainer.close(), log, 'waiting for the retrain in progress');
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else log.fatal({ err: error }, 'trainer failed');
  process.exit(1);
});
