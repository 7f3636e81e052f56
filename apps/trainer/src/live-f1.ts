import { macroF1, REGIMES } from '@regime/model';
import { ModelRegistryStore, type QuestDb, timestampParam } from '@regime/questdb';
import type { Logger } from '@regime/service';
import type { TrainerConfig } from './config.ts';
import { currentChampion } from './models-dir.ts';

const WEEK = 7 * 86_400_000;

export interface LiveF1Check {
  champion: string | null;
  /** Macro-F1 of the champion's official rows scored in the 7 days up to the newest outcome. */
  liveMacroF1: number | null;
  /** The champion's macro-F1 on its evaluation window, when it was promoted. */
  evaluationMacroF1: number | null;
  samples: number;
  /** Live below evaluation by more than RETRAIN_ON_DROP. */
  drop: boolean;
  detail: string;
}

/** Live macro-F1 of regime_outcomes against the champion's evaluation macro-F1 (model_registry). */
export async function checkLiveF1(config: TrainerConfig, db: QuestDb, log: Logger): Promise<LiveF1Check> {
  const champion = await currentChampion(config.modelsDir).catch(() => undefined);
  const none = (detail: string): LiveF1Check => ({
    champion: champion?.version ?? null,
    liveMacroF1: null,
    evaluationMacroF1: null,
    samples: 0,
    drop: false,
    detail,
  });
  if (!champion) return none('no champion');
  const registry = await ModelRegistryStore.open(config.questdb, db, config.tables.registry);
  let evaluationMacroF1: number | undefined;
  try {
    await registry.ensureSchema();
    evaluationMacroF1 = (await registry.latest(champion.version, 'promoted'))?.challenger?.macroF1;
  } finally {
    await registry.close();
  }
  if (evaluationMacroF1 === undefined)
    return none(`${champion.version} has no evaluation macro-F1 (a seed champion)`);
  const table = config.tables.outcomes;
  const rows = await db
    .query<{ newest: number | null }>(`SELECT max(ts) newest FROM ${table} WHERE model_version = $1`, [
      champion.version,
    ])
    .then(([r]) =>
      r?.newest == null
        ? []
        : db.query<{ predicted: string; realised: string }>(
            `SELECT predicted, realised FROM ${table} WHERE model_version = $1 AND ts > $2`,
            [champion.version, timestampParam(Number(r.newest) - WEEK)],
          ),
    )
    .catch((error: Error) => {
      log.debug({ err: error }, 'no regime_outcomes to check');
      return [];
    });
  if (rows.length === 0) return { ...none(`no outcomes of ${champion.version} yet`), evaluationMacroF1 };
  const index = (r: string) => (REGIMES as readonly string[]).indexOf(r);
  const live = macroF1(
    rows.map((r) => index(r.realised)),
    rows.map((r) => index(r.predicted)),
  );
  const drop = evaluationMacroF1 - live > config.retrainOnDrop;
  const detail =
    `live macro-F1 ${live.toFixed(4)} on ${rows.length} outcomes vs ${evaluationMacroF1.toFixed(4)} on evaluation` +
    (drop ? `: dropped by more than RETRAIN_ON_DROP ${config.retrainOnDrop}` : '');
  if (drop) log.warn({ champion: champion.version }, detail);
  return {
    champion: champion.version,
    liveMacroF1: live,
    evaluationMacroF1,
    samples: rows.length,
    drop,
    detail,
  };
}
