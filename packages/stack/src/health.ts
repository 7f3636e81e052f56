import { createConnection } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';

const PROBE_TIMEOUT_MS = 2_000;

/** QuestDB answers SQL over HTTP (/exec) — the port ILP-over-HTTP writes go to. */
export async function questdbHttpHealthy(httpUrl: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/exec?query=select%201', httpUrl), {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** QuestDB answers `select 1` on the PG wire port, with the configured credentials. */
export async function questdbPgHealthy(pgUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function questdbHealthy(httpUrl: string, pgUrl: string): Promise<boolean> {
  const [http, pgOk] = await Promise.all([questdbHttpHealthy(httpUrl), questdbPgHealthy(pgUrl)]);
  return http && pgOk;
}

/** Something speaking Redis answers PING on the URL (with its credentials, if any). */
export async function redisHealthy(redisUrl: string): Promise<boolean> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Is anything listening on host:port at all (healthy or not)? Used to explain port clashes. */
export async function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(PROBE_TIMEOUT_MS);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
