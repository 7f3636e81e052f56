import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasSharedKlines } from '@regime/candles/files';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './src/grafana/dashboards.ts';

/**
 * `npm run <app>` must not leave the app running when npm is killed (a terminal closed, a process
 * manager stopping it): npm forwards SIGTERM to its child, so the child must be the app itself.
 */

const scripts = (file: string) =>
  (JSON.parse(readFileSync(join(repoRoot, file), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Every descendant pid of `pid` (ps, Linux). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const text = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  const pairs = text
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const walk = (parent: number) => {
    for (const [child, ppid] of pairs) {
      if (ppid === parent) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm scripts', () => {
  it('every script that runs an app replaces the shell with node (exec), so signals reach it', () => {
    for (const file of ['package.json', 'apps/predictor/package.json']) {
      for (const [name, command] of Object.entries(scripts(file))) {
        if (!/\b(tsx|node)\b/.test(command) || /^(turbo|tsc|vitest|biome)\b/.test(command)) continue;
        if (command.includes('bench/')) continue;
        expect(command, `${file} ${name}`).toMatch(/^exec node --import tsx /);
      }
    }
  });
});

describe.skipIf(!hasSharedKlines())('killing `npm run exchange:replay`', () => {
  const started: number[] = [];
  afterAll(() => {
    for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('stops the app, not just npm', async () => {
    const npm = spawn('npm', ['run', 'exchange:replay', '--', '--from', '2025-10-01', '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'info', LOG_PRETTY: '0' },
    });
    let out = '';
    npm.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) resolve(match[1]!);
      };
      npm.stdout.on('data', check);
      npm.once('exit', (code) => reject(new Error(`npm exited (${code}) before the app listened:\n${out}`)));
    });
    const apps = descendants(npm.pid!);
    started.push(npm.pid!, ...apps);
    expect(apps.length).toBeGreaterThan(0);
    expect((await fetch(`${url}/api/v3/time`)).ok).toBe(true);

    npm.kill('SIGTERM');
    // Until every process npm started is gone (an orphan would keep this waiting until the timeout).
    while (apps.some(alive)) await new Promise((r) => setTimeout(r, 100));
    await expect(fetch(`${url}/api/v3/time`)).rejects.toThrow();
  }, 60_000);
});
