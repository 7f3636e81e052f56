import { ConfigError, createLogger } from '@regime/service';
import { loadPredictorConfig } from './config.ts';
import { startPredictor } from './predictor.ts';

const log = createLogger('predictor');

async function main(): Promise<void> {
  const config = loadPredictorConfig();
  const predictor = await startPredictor(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal: do not wait for the jobs in progress (another worker takes them over).
      log.warn({ signal }, 'stopping now: abandoning the jobs in progress');
      predictor.abort().finally(() => process.exit(1));
      return;
    }
    stopping = true;
    log.info({ signal }, 'stopping: finishing the jobs in progress (signal again to stop at once)');
    predictor.close().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else log.fatal({ err: error }, 'predictor failed to start');
  process.exit(1);
});
