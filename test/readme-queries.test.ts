import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasSharedKlines } from '@regime/candles/files';
import { QuestDb, questDbConfigFromEnv, type TableNames, uniqueTableNames } from '@regime/questdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './src/grafana/dashboards.ts';
import { buildFixture } from './src/grafana/fixture.ts';

/**
 * Every SQL example of the READMEs, run as written (table names swapped for this test's) against
 * QuestDB holding what the replay path writes: real candles from ../shared and predictions for
 * 2025, long before the wall clock's now. Each must return rows: an example that filters on now()
 * shows nothing on the replay path.
 */

const SOURCES = ['README.md', 'apps/predictor/README.md'];

/** The statements of every ```sql block, each with the comment lines above it. */
function examples(): { file: string; sql: string }[] {
  const out: { file: string; sql: string }[] = [];
  for (const file of SOURCES) {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    for (const block of text.matchAll(/```sql\n([\s\S]*?)```/g)) {
      for (const statement of block[1]!.split(/;\s*\n/)) {
        if (statement.replace(/--.*$/gm, '').trim())
          out.push({ file, sql: statement.trim().replace(/;$/, '') });
      }
    }
  }
  return out;
}

function withTables(sql: string, tables: TableNames): string {
  const names: Record<string, string> = {
    klines: tables.klines,
    regime_predictions: tables.predictions,
    pipeline_events: tables.events,
  };
  return sql.replace(/\b(klines|regime_predictions|pipeline_events)\b/g, (name) => names[name]!);
}

describe.skipIf(!hasSharedKlines())('README example queries on the replay path', () => {
  const tables = uniqueTableNames('readme');
  let db: QuestDb;
  beforeAll(async () => {
    const fixture = buildFixture();
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    await db.ensureSchema();
    await db.writeKlines(fixture.klines);
    await db.writePredictions(fixture.predictions);
    await db.writeEvents(fixture.events);
    await db.waitForWal();
  }, 120_000);
  afterAll(async () => {
    await db?.dropTables();
    await db?.close();
  });

  it('finds the examples', () => {
    expect(examples().length).toBeGreaterThanOrEqual(8);
  });

  for (const { file, sql } of examples()) {
    const title = sql.split('\n').find((l) => l.startsWith('--')) ?? sql.split('\n')[0]!;
    it(`${file}: ${title} returns rows`, async () => {
      const rows = await db.query<Record<string, unknown>>(withTables(sql, tables));
      expect(rows.length).toBeGreaterThan(0);
    });
  }

  it("the candle query gives each 15m candle the official regime as of the candle's close", async () => {
    const sql = examples().find((e) => e.sql.includes('ASOF JOIN'))!.sql;
    const rows = await db.query<{ closes_at: number; regime_as_of: number | null; regime: string | null }>(
      withTables(sql, tables),
    );
    const joined = rows.filter((r) => r.regime !== null);
    expect(joined.length).toBeGreaterThan(100);
    for (const row of joined) expect(row.regime_as_of).toBe(row.closes_at);
  });
});
