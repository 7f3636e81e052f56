/** Options of waitForWal. */
export interface WaitForWalOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * Resolves when QuestDB has applied every WAL transaction of `tables` that was committed when this
 * was called (writes arriving meanwhile are not waited for, so it terminates under a steady stream).
 * Throws if a table's WAL apply is suspended, which is a server-side error.
 */
export async function waitForTablesWal(
  query: Query,
  tables: readonly string[],
  opts: WaitForWalOptions = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const placeholders = tables.map((_, i) => `$${i + 1}`).join(', ');
  let targets: Map<string, number> | undefined;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const rows = await query<{ name: string; writerTxn: number; sequencerTxn: number; suspended: boolean }>(
      `SELECT name, writerTxn, sequencerTxn, suspended FROM wal_tables() WHERE name IN (${placeholders})`,
      [...tables],
    );
    targets ??= new Map(rows.map((r) => [r.name, r.sequencerTxn]));
    const suspended = rows.find((r) => r.suspended);
    if (suspended) {
      throw new Error(
        `WAL apply of table ${suspended.name} is suspended: see the QuestDB log (.stack/questdb.log)`,
      );
    }
    const behind = rows.filter((r) => r.writerTxn < (targets!.get(r.name) ?? 0));
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      const detail = behind.map((r) => `${r.name} ${r.writerTxn}/${targets!.get(r.name)}`).join(', ');
      throw new Error(`timed out waiting for QuestDB to apply WAL transactions (${detail})`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
