import { BinanceRest } from '@regime/binance';
import { questdbStore, runBackfill } from '@regime/kline-backfill';
import { QuestDb } from '@regime/questdb';
import { createLogger, loadConfig, redactText } from '@regime/service';
import { backfillCommand, resolveRun } from './cli.ts';
import { configSchema } from './config.ts';
import { barProgress, lineProgress } from './progress.ts';
import { formatSummary } from './summary.ts';

const command = backfillCommand();
command.parse(process.argv);
const logger = createLogger('backfill');

async function main(): Promise<boolean> {
  const run = resolveRun(command.opts(), loadConfig(configSchema));
  const db = await QuestDb.connect({ httpUrl: run.questdbHttp, pgUrl: run.questdbPgUrl });
  const progress = process.stdout.isTTY ? barProgress() : lineProgress();
  try {
    await db.ensureSchema();
    const summary = await runBackfill(
      { ...run, refusePeriodAfterClock: true },
      {
        source: new BinanceRest({ baseUrl: run.restUrl, logger }),
        store: questdbStore(db),
        progress,
      },
    );
    progress.stop();
    console.log(formatSummary(summary));
    return summary.ok;
  } finally {
    progress.stop();
    await db.close();
  }
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  (error: Error) => {
    console.error(redactText(`backfill failed: ${error.message}`));
    process.exitCode = 1;
  },
);
