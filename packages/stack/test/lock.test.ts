import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withLock } from '../src/lock.ts';

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'regime-lock-test-'));
  dirs.push(d);
  return join(d, 'lock');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('withLock', () => {
  it('serialises concurrent holders', async () => {
    const lock = scratch();
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4].map((i) =>
        withLock(lock, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 30));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order.sort()).toEqual([1, 2, 3, 4]);
  });

  it('releases the lock when the holder throws', async () => {
    const lock = scratch();
    await expect(withLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withLock(lock, async () => 'again')).toBe('again');
  });

  it('takes over a lock whose holder process is gone', async () => {
    const lock = scratch();
    mkdirSync(lock);
    // pid 2^22+1 is above Linux's pid_max default: no such process.
    writeFileSync(
      join(lock, 'owner.json'),
      JSON.stringify({ pid: 4_194_305, host: hostname(), token: 'dead', since: '2020-01-01T00:00:00Z' }),
    );
    expect(await withLock(lock, async () => 'taken', { timeoutMs: 2_000 })).toBe('taken');
  });

  it('waits for a live holder and times out with a clear message', async () => {
    const lock = scratch();
    mkdirSync(lock);
    writeFileSync(
      join(lock, 'owner.json'),
      JSON.stringify({ pid: process.pid, host: hostname(), token: 'alive', since: '2020-01-01T00:00:00Z' }),
    );
    const waits: string[] = [];
    await expect(
      withLock(lock, async () => 'never', { timeoutMs: 500, onWait: (who) => waits.push(who) }),
    ).rejects.toThrow(/timed out .*held by pid \d+/);
    expect(waits).toHaveLength(1);
  });
});
