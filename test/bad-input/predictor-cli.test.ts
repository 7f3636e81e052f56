import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { QuestDb, questDbConfigFromEnv, uniqueTableNames } from '@regime/questdb';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The predictor's command lines refusing bad input: one readable message, exit status 1, no stack
 * trace, and nothing written (no table created, no key in Redis).
 */

const repoRoot = resolve(import.meta.dirname, '../..');

function run(script: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; out: string }>((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn', LOG_PRETTY: '0', ...env },
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('close', (code) => done({ code, out }));
  });
}

/** A port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

const lines = (out: string) => out.split('\n').filter((l) => l.trim().length > 0);

describe('npm start (console mode) refuses', () => {
  const console = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run('apps/predictor/src/console.ts', args, env);

  it('no exchange: one line saying what failed and how to use the replay exchange', async () => {
    const port = await closedPort();
    const { code, out } = await console(['--once'], { BINANCE_REST_URL: `http://127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(lines(out)).toHaveLength(1);
    expect(out).toContain(
      `cannot reach the exchange at http://127.0.0.1:${port} (GET /api/v3/time: ECONNREFUSED`,
    );
    expect(out).toContain('npm run exchange:replay');
    expect(out).toContain('BINANCE_REST_URL=http://127.0.0.1:8765 npm start');
    expect(out).not.toMatch(/^\s+at /m);
  });

  it('--time-scale that is not a positive number', async () => {
    const { code, out } = await console(['--once', '--time-scale', '-5']);
    expect(code).toBe(1);
    expect(out).toMatch(/option '--time-scale <n>' argument '-5' is invalid\. expected a positive number/);
  });

  it('--symbols with something that is not a symbol', async () => {
    const { code, out } = await console(['--once', '--symbols', "BTCUSDT,X' OR 1=1"]);
    expect(code).toBe(1);
    expect(out).toContain(`invalid symbol "X' OR 1=1": expected 2-20 letters or digits`);
  });

  it('--rest-url with a scheme that is not http(s)', async () => {
    const { code, out } = await console(['--once', '--rest-url', 'ftp://127.0.0.1:8765']);
    expect(code).toBe(1);
    expect(out).toContain(
      'BINANCE_REST_URL="ftp://127.0.0.1:8765": expected a http or https URL, not ftp://',
    );
  });

  it('an unknown option', async () => {
    const { code, out } = await console(['--offical']);
    expect(code).toBe(1);
    expect(out).toMatch(/unknown option '--offical'/);
  });
});

describe('npm run predictor refuses bad configuration before touching QuestDB or Redis', () => {
  const tables = uniqueTableNames('badcli');
  const queue = `badcli-${tables.klines.slice(-12)}`;
  let db: QuestDb;
  let redis: Redis;
  beforeAll(async () => {
    db = await QuestDb.connect(questDbConfigFromEnv(), tables);
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });
  afterAll(async () => {
    await db.dropTables().catch(() => {});
    await db.close();
    redis.disconnect();
  });

  const predictor = (env: NodeJS.ProcessEnv) =>
    run('apps/predictor/src/main.ts', [], {
      KLINES_TABLE: tables.klines,
      PREDICTIONS_TABLE: tables.predictions,
      EVENTS_TABLE: tables.events,
      QUEUE_NAME: queue,
      METRICS_PORT: '0',
      ...env,
    });

  const nothingLanded = async () => {
    const found = await db.query<{ table_name: string }>(
      `SELECT table_name FROM tables() WHERE table_name IN ($1, $2, $3)`,
      [tables.klines, tables.predictions, tables.events],
    );
    expect(found).toEqual([]);
    expect(await redis.keys(`*${queue}*`)).toEqual([]);
  };

  it('a PG URL with a password and a bad port: the port is blamed, the password never shown', async () => {
    const { code, out } = await predictor({ QUESTDB_PG_URL: 'postgres://admin:hunter2@127.0.0.1:88120/qdb' });
    expect(code).toBe(1);
    expect(out).toContain(
      'QUESTDB_PG_URL="postgres://admin:***@127.0.0.1:88120/qdb": port 88120 is out of range',
    );
    expect(out).not.toContain('hunter2');
    await nothingLanded();
  });

  it('a Redis URL with a password and a wrong scheme', async () => {
    const { code, out } = await predictor({ REDIS_URL: 'http://:s3cret@127.0.0.1:6379' });
    expect(code).toBe(1);
    expect(out).toContain(
      'REDIS_URL="http://:***@127.0.0.1:6379": expected a redis or rediss URL, not http://',
    );
    expect(out).not.toContain('s3cret');
    await nothingLanded();
  });

  it('an unknown clock and an unknown mode, both named at once', async () => {
    const { code, out } = await predictor({ CLOCK: 'sundial', MODES: 'official,weekly' });
    expect(code).toBe(1);
    expect(out).toContain('CLOCK="sundial"');
    expect(out).toContain('MODES="official,weekly"');
    expect(out).not.toMatch(/^\s+at /m);
    await nothingLanded();
  });

  it('a /healthz address that is not an IP address', async () => {
    const { code, out } = await predictor({ METRICS_HOST: 'everywhere' });
    expect(code).toBe(1);
    expect(out).toContain('METRICS_HOST="everywhere": expected an IP address to listen on');
    await nothingLanded();
  });
});
