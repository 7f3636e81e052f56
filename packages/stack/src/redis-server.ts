import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redactText } from '@regime/service';
import { isLocalUrl, portOf, type StackConfig } from './config.ts';
import { portInUse, redisHealthy } from './health.ts';
import {
  isManagedRunning,
  readPidFile,
  removePidFile,
  sleep,
  spawnDetached,
  stopProcess,
  tail,
  writePidFile,
} from './processes.ts';
import type { EnsureOutcome, Report } from './questdb-server.ts';
import { hasCommand, MissingToolError } from './tools.ts';

const STARTUP_TIMEOUT_MS = 20_000;

export const redisPaths = (config: StackConfig) => ({
  pidFile: join(config.stackDir, 'redis.pid'),
  logFile: join(config.stackDir, 'redis.log'),
  workDir: join(config.stackDir, 'redis'),
});

/** Reuses whatever answers PING on REDIS_URL; otherwise starts a throw-away redis-server (no persistence). */
export async function ensureRedis(config: StackConfig, report: Report): Promise<EnsureOutcome> {
  const { pidFile, logFile, workDir } = redisPaths(config);
  const where = redactText(config.redisUrl);
  const managed = readPidFile(pidFile);
  if (await redisHealthy(config.redisUrl)) {
    report(
      managed && isManagedRunning(managed)
        ? `Redis already running (pid ${managed.pid}, started by stack:up) at ${where}`
        : `Redis already answers at ${where} (not started by stack:up; reusing it)`,
    );
    return 'reused';
  }
  const url = new URL(config.redisUrl);
  if (!isLocalUrl(config.redisUrl)) {
    throw new Error(
      `Redis at ${where} does not answer, and it is not on this machine, so it cannot be started here`,
    );
  }
  const port = portOf(config.redisUrl, 6379);
  if (await portInUse(url.hostname, port)) {
    throw new Error(
      `port ${port} is taken by something that does not answer Redis PING; free it or set REDIS_URL`,
    );
  }
  if (!hasCommand('redis-server')) {
    throw new MissingToolError(
      `nothing answers on REDIS_URL (${where}) and redis-server is not installed. ` +
        'Install it (e.g. `sudo apt-get install -y redis-server`) or point REDIS_URL at a running Redis.',
    );
  }
  mkdirSync(workDir, { recursive: true });
  // The predictor's queues are rebuilt at start-up, so this Redis keeps nothing on disk.
  const args = [
    '--port',
    String(port),
    '--bind',
    config.bindHost,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    workDir,
  ];
  if (url.password) args.push('--requirepass', decodeURIComponent(url.password));
  report(`starting redis-server on port ${port} (no persistence, log ${logFile})`);
  const pid = spawnDetached('redis-server', args, { logFile });
  // redis-server rewrites its title to "redis-server 127.0.0.1:<port>"; both forms hold these.
  const started = { pid, markers: ['redis-server', String(port)], startedAt: new Date().toISOString() };
  writePidFile(pidFile, {
    ...started,
    command: `redis-server ${args.join(' ')}`,
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await redisHealthy(config.redisUrl))) {
    if (!isManagedRunning({ ...started, command: '' })) {
      removePidFile(pidFile);
      throw new Error(`redis-server exited during start-up. Last lines of ${logFile}:\n${tail(logFile)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`redis-server did not answer PING within ${STARTUP_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
  report(`Redis is up (pid ${pid}) at ${where}`);
  return 'started';
}

/** Stops Redis only if stack:up started it. */
export async function stopRedis(config: StackConfig, report: Report): Promise<boolean> {
  const { pidFile } = redisPaths(config);
  const managed = readPidFile(pidFile);
  if (!managed || !isManagedRunning(managed)) {
    removePidFile(pidFile);
    report('Redis: nothing to stop (not started by stack:up, or already stopped)');
    return false;
  }
  report(`stopping Redis (pid ${managed.pid})`);
  const how = await stopProcess(managed.pid, 10_000);
  removePidFile(pidFile);
  report(`Redis stopped (${how})`);
  return true;
}
