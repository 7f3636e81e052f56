import pg from 'pg';
import type { QuestDbConfig } from './config.ts';
import { IlpWriter } from './ilp.ts';
import { questDbTypeParsers } from './pg-types.ts';

/**
 * A pg pool for QuestDB's reads and an ILP writer for its writes, once QuestDB has answered: fails
 * fast with one clear message (credentials redacted) instead of on the first query.
 */
export async function openConnection(
  config: QuestDbConfig,
  options: { maxConnections: number; rowsPerRequest?: number },
): Promise<{ pool: pg.Pool; ilp: IlpWriter }> {
  const pool = new pg.Pool({
    connectionString: config.pgUrl,
    max: options.maxConnections,
    idleTimeoutMillis: 10_000,
    // The pool must not keep a finished process alive.
    allowExitOnIdle: true,
    types: questDbTypeParsers(pg.types),
  });
  // An idle connection dropped by the server (QuestDB restart) is an 'error' event on the pool; without
  // a listener it would crash the process. The pool discards that client and the next query reconnects.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
    return { pool, ilp: await IlpWriter.open(config.httpUrl, options.rowsPerRequest) };
  } catch (error) {
    await pool.end();
    throw new Error(
      `cannot reach QuestDB (pg ${redact(config.pgUrl)}, http ${config.httpUrl}): ${(error as Error).message}. ` +
        'Is it running? Start it with `npm run stack:up`.',
      { cause: error },
    );
  }
}

function redact(pgUrl: string): string {
  try {
    const url = new URL(pgUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable url)';
  }
}
