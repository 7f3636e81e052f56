/** A column of an existing table, as table_columns() reports it. */
export interface ExistingColumn {
  column: string;
  upsertKey: boolean;
}

type Query = <T>(sql: string) => Promise<T[]>;

/** The columns of an existing table (the table must exist: create it first). */
export function existingColumns(query: Query, table: string): Promise<ExistingColumn[]> {
  return query<ExistingColumn>(`SELECT "column", "upsertKey" FROM table_columns('${table}')`);
}

/**
 * Runs the ALTER statements that bring a table created by an older build to the contract. Several
 * processes may start at once (compose) and read the same old columns: another one (or an earlier
 * call whose ALTER QuestDB has not applied yet) may have got there first. The column then exists,
 * which is all that is asked, so that refusal is not an error.
 */
export async function runMigrations(query: Query, statements: readonly string[]): Promise<void> {
  for (const sql of statements) {
    await query(sql).catch((error: Error) => {
      if (!/already exists|duplicate column|is either no-op/.test(error.message)) throw error;
    });
  }
}
