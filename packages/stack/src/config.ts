import { isIPv4 } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, port, url } from '@regime/service';
import { z } from 'zod';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Everything the local stack needs to know. Defaults match docs/ARCHITECTURE.md. */
export interface StackConfig {
  questdbHttpUrl: string;
  questdbPgUrl: string;
  redisUrl: string;
  /** org.questdb:questdb version fetched from Maven Central. */
  questdbVersion: string;
  /** JVM -Xmx for QuestDB. */
  questdbHeap: string;
  /** QuestDB's other listeners (ILP over TCP, min health server): configurable so a second instance fits. */
  questdbIlpTcpPort: number;
  questdbMinHttpPort: number;
  /** Address every QuestDB listener and Redis bind to: loopback unless STACK_BIND_HOST opens them. */
  bindHost: string;
  /** Pid files, logs, lock and QuestDB's data live here (git-ignored). */
  stackDir: string;
  /** Local Maven repository holding the QuestDB jar. */
  mavenRepository: string;
}

const stackEnvSchema = z.object({
  QUESTDB_HTTP: url('http://127.0.0.1:9000', ['http']),
  QUESTDB_PG_URL: url('postgres://admin:quest@127.0.0.1:8812/qdb', ['postgres', 'postgresql']),
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis']),
  QUESTDB_VERSION: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'expected a version like 9.3.4')
    .default('9.3.4'),
  QUESTDB_HEAP: z
    .string()
    .regex(/^\d+[mg]$/, 'expected a JVM size like 2g or 512m')
    .default('2g'),
  QUESTDB_ILP_TCP_PORT: port(9009),
  QUESTDB_MIN_HTTP_PORT: port(9003),
  /** QuestDB's bind options take an IPv4 address only. */
  STACK_BIND_HOST: z
    .string()
    .default('127.0.0.1')
    .refine(isIPv4, 'expected an IPv4 address (127.0.0.1 = this machine only, 0.0.0.0 = every interface)'),
  STACK_DIR: z.string().default(join(repoRoot, '.stack')),
  MAVEN_REPOSITORY: z.string().default(join(homedir(), '.m2', 'repository')),
});

export function stackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const e = loadConfig(stackEnvSchema, env);
  return {
    questdbHttpUrl: e.QUESTDB_HTTP,
    questdbPgUrl: e.QUESTDB_PG_URL,
    redisUrl: e.REDIS_URL,
    questdbVersion: e.QUESTDB_VERSION,
    questdbHeap: e.QUESTDB_HEAP,
    questdbIlpTcpPort: e.QUESTDB_ILP_TCP_PORT,
    questdbMinHttpPort: e.QUESTDB_MIN_HTTP_PORT,
    bindHost: e.STACK_BIND_HOST,
    stackDir: resolve(e.STACK_DIR),
    mavenRepository: resolve(e.MAVEN_REPOSITORY),
  };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0']);

/** We only ever start services on this machine; a remote URL that does not answer is an error. */
export function isLocalUrl(value: string): boolean {
  return LOCAL_HOSTS.has(new URL(value).hostname);
}

/** Port of a URL, with the scheme's default when it has none. */
export function portOf(value: string, fallback: number): number {
  const p = new URL(value).port;
  return p ? Number(p) : fallback;
}
