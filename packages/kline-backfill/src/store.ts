import type { Interval } from '@regime/candles';
import { type QuestDb, timestampParam } from '@regime/questdb';
import type { BackfillStore } from './backfill.ts';
import type { OpenTimeRange } from './plan.ts';

/** The backfill's view of QuestDB. The schema must exist (QuestDb.ensureSchema) before it is used. */
export function questdbStore(db: QuestDb): BackfillStore {
  return {
    async storedOpenTimes(symbol: string, interval: Interval, range: OpenTimeRange) {
      // Acknowledged writes become visible once QuestDB has applied its WAL: wait, or a run started
      // right after another would not see what that one wrote and fetch it again.
      await db.waitForWal();
      // Only closed candles count as stored: an in-progress row from the collector is fetched again.
      const rows = await db.query<{ ts: number }>(
        `SELECT ts FROM ${db.tables.klines}
         WHERE symbol = $1 AND "interval" = $2 AND closed AND ts >= $3 AND ts < $4`,
        [symbol, interval, timestampParam(range.from), timestampParam(range.to)],
      );
      return rows.map((row) => row.ts);
    },
    writeKlines: (klines) => db.writeKlines(klines),
    writeEvents: (events) => db.writeEvents(events),
  };
}
