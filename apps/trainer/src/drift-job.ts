import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { driftAsOf } from '@regime/inference';
import { ARTIFACT_FILES, loadInputDistribution } from '@regime/model';
import { questDbCandleSource } from '@regime/model/candle-source';
import { FeatureDriftStore, QuestDb } from '@regime/questdb';
import type { DriftCheck } from './trainer.ts';

const STEP = 5 * 60_000;

/**
 * The hourly drift job: for each symbol, the PSI of every model input over the 24 h before the newest
 * closed 5m candle (driftAsOf, helper `drift`'s API in @regime/inference) against the champion's
 * training distribution, written to feature_drift. An input above its own major-drift threshold
 * (majorDriftThreshold: 0.25, or more for an input whose 24-hour PSI exceeds that even on training
 * days) queues an early retrain (trainer.ts). A champion without input-distribution.json is skipped.
 */
export const runDriftCheck: DriftCheck = async ({ config, log, championDir }) => {
  const distribution = await loadInputDistribution(championDir);
  if (!distribution) return { maxPsi: 0, where: 'the champion has no input-distribution.json', major: [] };
  // Drift reads only the version and the labeler parameters: no need to load the network here.
  const metadata = JSON.parse(await readFile(join(championDir, ARTIFACT_FILES.metadata), 'utf8'));
  const model = { version: metadata.version as string, metadata };
  const tables = {
    klines: config.tables.klines,
    predictions: config.tables.predictions,
    events: config.tables.events,
  };
  const db = await QuestDb.connect(config.questdb, tables);
  const store = await FeatureDriftStore.open(config.questdb, db, config.tables.drift);
  const source = await questDbCandleSource(config.questdb, tables);
  let maxPsi = 0;
  let where = 'no rows';
  const major: string[] = [];
  try {
    await store.ensureSchema();
    for (const symbol of config.symbols) {
      const newest = await db.latestOpenTime(symbol, '5m', { closedOnly: true });
      if (newest === undefined) continue;
      const drift = await driftAsOf(model, distribution, symbol, newest + STEP, source);
      await store.write(drift.rows);
      if (drift.missed.length > 0)
        log.info({ symbol, missed: drift.missed.length }, 'drift: some instants could not be built');
      for (const row of drift.major)
        major.push(`${symbol} ${row.feature} ${row.psi.toFixed(3)} > ${row.threshold.toFixed(3)}`);
      for (const row of drift.rows) {
        if (row.psi > maxPsi) {
          maxPsi = row.psi;
          where = `${symbol} ${row.feature}`;
        }
      }
    }
  } finally {
    await source.close();
    await store.close();
    await db.close();
  }
  return { maxPsi, where, major };
};
