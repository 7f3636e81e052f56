import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureStack,
  questdbHealthy,
  redisHealthy,
  type StackConfig,
  stackConfigFromEnv,
  stackStatus,
  stopStack,
} from '../src/index.ts';

/** Ports nobody listens on right now (the OS picks them). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** This machine's first non-loopback IPv4 address (the "LAN address" an attacker would use). */
function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('ensureStack on fresh ports (starts its own QuestDB and Redis)', () => {
  let config: StackConfig;
  const messages: string[] = [];
  const report = (m: string) => messages.push(m);

  beforeAll(async () => {
    const [http, pgPort, ilp, min, redis] = await freePorts(5);
    const stackDir = mkdtempSync(join(tmpdir(), 'regime-stack-test-'));
    config = stackConfigFromEnv({
      QUESTDB_HTTP: `http://127.0.0.1:${http}`,
      QUESTDB_PG_URL: `postgres://admin:quest@127.0.0.1:${pgPort}/qdb`,
      REDIS_URL: `redis://127.0.0.1:${redis}`,
      QUESTDB_ILP_TCP_PORT: String(ilp),
      QUESTDB_MIN_HTTP_PORT: String(min),
      QUESTDB_HEAP: '512m',
      STACK_DIR: stackDir,
    });
  });

  afterAll(async () => {
    if (!config) return;
    await stopStack({ config, report });
    rmSync(config.stackDir, { recursive: true, force: true });
  });

  it('two concurrent calls start exactly one of each; the other waits and reuses', async () => {
    expect(await questdbHealthy(config.questdbHttpUrl, config.questdbPgUrl)).toBe(false);
    const outcomes = await Promise.all([ensureStack({ config, report }), ensureStack({ config, report })]);
    expect(outcomes.map((o) => o.questdb).sort()).toEqual(['reused', 'started']);
    expect(outcomes.map((o) => o.redis).sort()).toEqual(['reused', 'started']);
    expect(await questdbHealthy(config.questdbHttpUrl, config.questdbPgUrl)).toBe(true);
    expect(await redisHealthy(config.redisUrl)).toBe(true);
    expect(messages.filter((m) => m.startsWith('starting QuestDB'))).toHaveLength(1);
    expect(existsSync(join(config.stackDir, 'stack.lock'))).toBe(false);
  });

  it('listens on loopback only: no QuestDB port and no Redis port answers on the LAN address', async () => {
    const lan = lanAddress();
    expect(lan, 'this test needs a non-loopback IPv4 interface').toBeDefined();
    const ports = [
      Number(new URL(config.questdbHttpUrl).port),
      Number(new URL(config.questdbPgUrl).port),
      config.questdbIlpTcpPort,
      config.questdbMinHttpPort,
      Number(new URL(config.redisUrl).port),
    ];
    for (const port of ports) {
      expect(await accepts('127.0.0.1', port), `127.0.0.1:${port}`).toBe(true);
      expect(await accepts(lan!, port), `${lan}:${port}`).toBe(false);
    }
  });

  it('is idempotent: a further call reuses what runs and says so', async () => {
    messages.length = 0;
    expect(await ensureStack({ config, report })).toEqual({ questdb: 'reused', redis: 'reused' });
    expect(messages.join('\n')).toMatch(/QuestDB already running \(pid \d+, started by stack:up\)/);
    const status = await stackStatus(config);
    expect(status.questdb.healthy).toBe(true);
    expect(status.questdb.managedPid).toBe(
      JSON.parse(readFileSync(join(config.stackDir, 'questdb.pid'), 'utf8')).pid,
    );
    expect(status.redis.managedPid).toBeGreaterThan(0);
  });

  it('stopStack stops what it started, then has nothing left to stop', async () => {
    expect(await stopStack({ config, report })).toEqual({ questdb: true, redis: true });
    expect(await questdbHealthy(config.questdbHttpUrl, config.questdbPgUrl)).toBe(false);
    expect(await redisHealthy(config.redisUrl)).toBe(false);
    expect(existsSync(join(config.stackDir, 'questdb.pid'))).toBe(false);
    expect(await stopStack({ config, report })).toEqual({ questdb: false, redis: false });
  });
});

describe('ensureStack next to services it did not start', () => {
  it('reuses the configured QuestDB and Redis and stopStack leaves them alone', async () => {
    const stackDir = mkdtempSync(join(tmpdir(), 'regime-stack-test-'));
    // The default URLs (or the CI's): a stack that is already up. A scratch STACK_DIR has no pid files.
    const config = stackConfigFromEnv({ ...process.env, STACK_DIR: stackDir });
    const messages: string[] = [];
    try {
      await ensureStack({ config, report: (m) => messages.push(m) });
      expect(await ensureStack({ config, report: (m) => messages.push(m) })).toEqual({
        questdb: 'reused',
        redis: 'reused',
      });
      expect(messages.join('\n')).toMatch(/not started by stack:up; reusing it/);
      expect(await stopStack({ config, report: () => {} })).toEqual({ questdb: false, redis: false });
      expect(await questdbHealthy(config.questdbHttpUrl, config.questdbPgUrl)).toBe(true);
    } finally {
      rmSync(stackDir, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  it('reports every bad value by name', () => {
    expect(() =>
      stackConfigFromEnv({ QUESTDB_HTTP: 'ftp://x', QUESTDB_HEAP: 'lots', REDIS_URL: 'nope' }),
    ).toThrow(
      /QUESTDB_HTTP[\s\S]*REDIS_URL[\s\S]*QUESTDB_HEAP|QUESTDB_HTTP[\s\S]*QUESTDB_HEAP[\s\S]*REDIS_URL/,
    );
  });
});
