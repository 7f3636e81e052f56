import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/**
 * Runs the CLI the way `npm run backtest` does (tsx; `choose-main.ts` for `npm run backtest:choose`);
 * resolves with the exit code and the output.
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  main = 'main.ts',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const MAIN = resolve(SRC, main);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, stderr }));
  });
}
