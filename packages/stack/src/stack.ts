import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type StackConfig, stackConfigFromEnv } from './config.ts';
import { questdbHealthy, redisHealthy } from './health.ts';
import { withLock } from './lock.ts';
import { isManagedRunning, readPidFile } from './processes.ts';
import {
  type EnsureOutcome,
  ensureQuestDb,
  questdbPaths,
  type Report,
  stopQuestDb,
} from './questdb-server.ts';
import { ensureRedis, redisPaths, stopRedis } from './redis-server.ts';

export interface StackOutcome {
  questdb: EnsureOutcome;
  redis: EnsureOutcome;
}

export interface StackOptions {
  config?: StackConfig;
  /** Progress messages (default: console.log with a [stack] prefix). */
  report?: Report;
}

const defaultReport: Report = (message) => console.log(`[stack] ${message}`);

function lockDir(config: StackConfig): string {
  mkdirSync(config.stackDir, { recursive: true });
  return join(config.stackDir, 'stack.lock');
}

/**
 * Makes sure QuestDB and Redis answer on the configured URLs, starting what is missing. Idempotent,
 * and safe to call concurrently from several processes: one caller starts, the others wait and reuse.
 * Never stops anything, so repeated test runs stay fast.
 */
export async function ensureStack(opts: StackOptions = {}): Promise<StackOutcome> {
  const config = opts.config ?? stackConfigFromEnv();
  const report = opts.report ?? defaultReport;
  return withLock(
    lockDir(config),
    async () => {
      const questdb = await ensureQuestDb(config, report);
      const redis = await ensureRedis(config, report);
      return { questdb, redis };
    },
    { onWait: (owner) => report(`another stack start is in progress (${owner}); waiting for it`) },
  );
}

/** Stops what ensureStack started (per pid files) and nothing else. */
export async function stopStack(opts: StackOptions = {}): Promise<{ questdb: boolean; redis: boolean }> {
  const config = opts.config ?? stackConfigFromEnv();
  const report = opts.report ?? defaultReport;
  return withLock(lockDir(config), async () => {
    const redis = await stopRedis(config, report);
    const questdb = await stopQuestDb(config, report);
    return { questdb, redis };
  });
}

export interface ServiceStatus {
  healthy: boolean;
  /** Pid when stack:up started it and it is still running. */
  managedPid?: number;
  url: string;
}

export async function stackStatus(config: StackConfig = stackConfigFromEnv()): Promise<{
  questdb: ServiceStatus;
  redis: ServiceStatus;
}> {
  const q = readPidFile(questdbPaths(config).pidFile);
  const r = readPidFile(redisPaths(config).pidFile);
  const [questdbOk, redisOk] = await Promise.all([
    questdbHealthy(config.questdbHttpUrl, config.questdbPgUrl),
    redisHealthy(config.redisUrl),
  ]);
  return {
    questdb: {
      healthy: questdbOk,
      url: config.questdbHttpUrl,
      ...(q && isManagedRunning(q) ? { managedPid: q.pid } : {}),
    },
    redis: {
      healthy: redisOk,
      url: config.redisUrl,
      ...(r && isManagedRunning(r) ? { managedPid: r.pid } : {}),
    },
  };
}
