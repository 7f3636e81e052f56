import { loadConfig, url } from '@regime/service';
import { z } from 'zod';

/** Where QuestDB listens: ILP over HTTP for writes, PG wire for reads. */
export interface QuestDbConfig {
  /** e.g. http://127.0.0.1:9000 (env QUESTDB_HTTP). */
  httpUrl: string;
  /** e.g. postgres://admin:quest@127.0.0.1:8812/qdb (env QUESTDB_PG_URL). */
  pgUrl: string;
}

export const DEFAULT_QUESTDB_HTTP = 'http://127.0.0.1:9000';
export const DEFAULT_QUESTDB_PG_URL = 'postgres://admin:quest@127.0.0.1:8812/qdb';

const questDbEnvSchema = z.object({
  QUESTDB_HTTP: url(DEFAULT_QUESTDB_HTTP, ['http', 'https']),
  QUESTDB_PG_URL: url(DEFAULT_QUESTDB_PG_URL, ['postgres', 'postgresql']),
});

/** QUESTDB_HTTP and QUESTDB_PG_URL, validated, with the documented defaults. */
export function questDbConfigFromEnv(env: NodeJS.ProcessEnv = process.env): QuestDbConfig {
  const parsed = loadConfig(questDbEnvSchema, env);
  return { httpUrl: parsed.QUESTDB_HTTP, pgUrl: parsed.QUESTDB_PG_URL };
}
