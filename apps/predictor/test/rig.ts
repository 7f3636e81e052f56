import { rmSync } from 'node:fs';
import type { QuestDb, TableNames } from '@regime/questdb';
import type { Clock } from '@regime/service';
import type { Predictor } from '../src/predictor.ts';

/** The environment of a test predictor: its own tables, queue and model folder, metrics on any port. */
export function testEnv(tables: TableNames, modelDir: string, queuePrefix: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SYMBOLS: 'BTCUSDT',
    KLINES_TABLE: tables.klines,
    PREDICTIONS_TABLE: tables.predictions,
    EVENTS_TABLE: tables.events,
    QUEUE_NAME: `${queuePrefix}-${tables.klines.slice(-12)}`,
    MODEL_DIR: modelDir,
    METRICS_PORT: '0',
    // The tiny model's training data ends 2024-01-02 and these tests run in 2024: expiry is not what
    // they test (its own test sets the limit), and its model_expired row would be among their events.
    MODEL_MAX_AGE_DAYS: '100000',
  };
}

/** Leaves nothing behind: the test's queue, predictor, tables and model folder. */
export async function stopTestPredictor(
  predictor: Predictor | undefined,
  db: QuestDb | undefined,
  modelDir: string,
): Promise<void> {
  await predictor?.queue.obliterate({ force: true }).catch(() => {});
  await predictor?.close();
  await db?.dropTables();
  await db?.close();
  rmSync(modelDir, { recursive: true, force: true });
}

/** A clock the test moves by hand. */
export function manualClock(start: number): Clock & { set(t: number): void } {
  let now = start;
  return {
    now: () => now,
    close: () => {},
    set(t) {
      now = t;
    },
  };
}
