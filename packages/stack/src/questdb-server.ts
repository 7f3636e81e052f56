import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redactText } from '@regime/service';
import { isLocalUrl, portOf, type StackConfig } from './config.ts';
import { portInUse, questdbHealthy } from './health.ts';
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
import { checkJava, fetchQuestDbJar } from './tools.ts';

export type Report = (message: string) => void;

/** 'reused' = something healthy already answered (ours or not); 'started' = we launched it now. */
export type EnsureOutcome = 'reused' | 'started';

const STARTUP_TIMEOUT_MS = 120_000;

export const questdbPaths = (config: StackConfig) => ({
  pidFile: join(config.stackDir, 'questdb.pid'),
  logFile: join(config.stackDir, 'questdb.log'),
  dataDir: join(config.stackDir, 'questdb'),
});

export function questdbJarPath(config: StackConfig): string {
  const v = config.questdbVersion;
  return join(config.mavenRepository, 'org', 'questdb', 'questdb', v, `questdb-${v}.jar`);
}

/**
 * QuestDB's configuration is passed as QDB_* environment variables (they override server.conf), so
 * ports and credentials always follow QUESTDB_HTTP / QUESTDB_PG_URL, whatever an old data dir holds.
 * Every listener (HTTP with /exec, PG wire, ILP over TCP, the min health server) binds to
 * config.bindHost, loopback by default: QuestDB's HTTP endpoint has no authentication.
 */
export function questdbEnv(config: StackConfig): NodeJS.ProcessEnv {
  const pgUrl = new URL(config.questdbPgUrl);
  const host = config.bindHost;
  return {
    ...process.env,
    QDB_HTTP_BIND_TO: `${host}:${portOf(config.questdbHttpUrl, 80)}`,
    QDB_PG_NET_BIND_TO: `${host}:${portOf(config.questdbPgUrl, 5432)}`,
    QDB_PG_USER: decodeURIComponent(pgUrl.username || 'admin'),
    QDB_PG_PASSWORD: decodeURIComponent(pgUrl.password || 'quest'),
    QDB_LINE_TCP_NET_BIND_TO: `${host}:${config.questdbIlpTcpPort}`,
    QDB_HTTP_MIN_NET_BIND_TO: `${host}:${config.questdbMinHttpPort}`,
    QDB_TELEMETRY_ENABLED: 'false',
  };
}

/** Makes sure a healthy QuestDB answers on the configured URLs, starting one if needed. Call under the lock. */
export async function ensureQuestDb(config: StackConfig, report: Report): Promise<EnsureOutcome> {
  const { pidFile, logFile, dataDir } = questdbPaths(config);
  const where = `${config.questdbHttpUrl} + ${redactText(config.questdbPgUrl)}`;
  const managed = readPidFile(pidFile);
  if (await questdbHealthy(config.questdbHttpUrl, config.questdbPgUrl)) {
    report(
      managed && isManagedRunning(managed)
        ? `QuestDB already running (pid ${managed.pid}, started by stack:up) at ${where}`
        : `QuestDB already running at ${where} (not started by stack:up; reusing it)`,
    );
    return 'reused';
  }
  if (!isLocalUrl(config.questdbHttpUrl) || !isLocalUrl(config.questdbPgUrl)) {
    throw new Error(
      `QuestDB at ${where} does not answer, and it is not on this machine, so it cannot be started here`,
    );
  }
  if (managed && isManagedRunning(managed)) {
    // Ours, alive but not (yet) healthy: e.g. still starting after a crash of the process that launched it.
    report(`QuestDB pid ${managed.pid} (ours) is alive but not answering yet; waiting for it`);
    await waitHealthy(config, managed.pid, logFile);
    return 'reused';
  }
  for (const [name, url] of [
    ['HTTP', config.questdbHttpUrl],
    ['PG wire', config.questdbPgUrl],
  ] as const) {
    const u = new URL(url);
    if (await portInUse(u.hostname, portOf(url, 0))) {
      throw new Error(
        `port ${u.port} (QuestDB ${name}) is taken by something that is not a healthy QuestDB with these credentials; ` +
          'free it or point QUESTDB_HTTP / QUESTDB_PG_URL elsewhere',
      );
    }
  }

  const java = checkJava();
  const jar = questdbJarPath(config);
  if (!existsSync(jar)) {
    report(`fetching org.questdb:questdb:${config.questdbVersion} from Maven Central (cached afterwards)`);
    fetchQuestDbJar(config.questdbVersion, config.mavenRepository);
    if (!existsSync(jar)) throw new Error(`mvn reported success but ${jar} does not exist`);
  }
  mkdirSync(dataDir, { recursive: true });
  const args = [
    `-Xmx${config.questdbHeap}`,
    '-p',
    jar,
    '-m',
    'io.questdb/io.questdb.ServerMain',
    '-d',
    dataDir,
  ];
  report(`starting QuestDB ${config.questdbVersion} (${java}, data ${dataDir}, log ${logFile})`);
  const pid = spawnDetached('java', args, { logFile, env: questdbEnv(config) });
  writePidFile(pidFile, {
    pid,
    markers: ['io.questdb', dataDir],
    startedAt: new Date().toISOString(),
    command: `java ${args.join(' ')}`,
  });
  await waitHealthy(config, pid, logFile);
  report(`QuestDB is up (pid ${pid}) at ${where}`);
  return 'started';
}

async function waitHealthy(config: StackConfig, pid: number, logFile: string): Promise<void> {
  const { pidFile } = questdbPaths(config);
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await questdbHealthy(config.questdbHttpUrl, config.questdbPgUrl))) {
    const managed = readPidFile(pidFile);
    if (!managed || !isManagedRunning(managed)) {
      removePidFile(pidFile);
      throw new Error(
        `QuestDB (pid ${pid}) exited during start-up. Last lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `QuestDB (pid ${pid}) did not become healthy within ${STARTUP_TIMEOUT_MS / 1000} s. ` +
          `Last lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
    await sleep(250);
  }
}

/** Stops QuestDB only if stack:up started it (pid file present and still that process). */
export async function stopQuestDb(config: StackConfig, report: Report): Promise<boolean> {
  const { pidFile } = questdbPaths(config);
  const managed = readPidFile(pidFile);
  if (!managed || !isManagedRunning(managed)) {
    removePidFile(pidFile);
    report('QuestDB: nothing to stop (not started by stack:up, or already stopped)');
    return false;
  }
  report(`stopping QuestDB (pid ${managed.pid})`);
  const how = await stopProcess(managed.pid);
  removePidFile(pidFile);
  report(`QuestDB stopped (${how})`);
  return true;
}
