import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isAlive, sleep } from './processes.ts';

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  since: string;
}

export interface LockOptions {
  /** Give up waiting for another holder after this long. */
  timeoutMs?: number;
  /** Told once when we have to wait for another holder. */
  onWait?: (owner: string) => void;
}

/** A lock directory older than this with no owner file is left over from a crash mid-acquire. */
const OWNERLESS_STALE_MS = 30_000;

function readOwner(dir: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function ageMs(dir: string): number {
  try {
    return Date.now() - statSync(dir).mtimeMs;
  } catch {
    return 0;
  }
}

function isStale(dir: string, owner: LockOwner | undefined): boolean {
  if (!owner) return ageMs(dir) > OWNERLESS_STALE_MS;
  return owner.host === hostname() && !isAlive(owner.pid);
}

/** Moves a stale lock out of the way; if it turns out someone else re-took it meanwhile, puts it back. */
function breakStaleLock(dir: string, staleToken: string | undefined): void {
  const aside = `${dir}.stale-${process.pid}-${randomUUID()}`;
  try {
    renameSync(dir, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = readOwner(aside);
  if (moved && moved.token !== staleToken) {
    try {
      renameSync(aside, dir);
      return;
    } catch {
      // A third process holds the lock now; the one we moved was fresh and is lost. Extremely unlikely.
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

/**
 * Runs `fn` while holding an exclusive lock: a directory created with mkdir, which is atomic on every
 * local file system. Works across processes (two `stack:up`, parallel vitest projects) and within one.
 * A lock whose holder died (pid gone on this host) is taken over.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  // The holder may be downloading QuestDB from Maven Central and starting it: be patient.
  const timeoutMs = opts.timeoutMs ?? 900_000;
  const deadline = Date.now() + timeoutMs;
  const token = randomUUID();
  let told = false;
  for (;;) {
    try {
      mkdirSync(dir);
      const owner: LockOwner = { pid: process.pid, host: hostname(), token, since: new Date().toISOString() };
      writeFileSync(join(dir, 'owner.json'), JSON.stringify(owner));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(dir);
    if (isStale(dir, owner)) {
      breakStaleLock(dir, owner?.token);
      continue;
    }
    const who = owner ? `pid ${owner.pid} on ${owner.host} since ${owner.since}` : 'unknown holder';
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for the stack lock ${dir} (held by ${who})`);
    }
    if (!told) {
      opts.onWait?.(who);
      told = true;
    }
    await sleep(100 + Math.random() * 100);
  }
  try {
    return await fn();
  } finally {
    if (readOwner(dir)?.token === token) rmSync(dir, { recursive: true, force: true });
  }
}
