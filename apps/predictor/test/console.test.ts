import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Candle, closesAt, INTERVAL_MS } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { FEATURE_INTERVALS, historyWarmup, modelInputAt } from '@regime/inference';
import { decidePrediction, loadRegimeModel, REGIME_LABELS, REGIMES } from '@regime/model';
import { createTinyModel } from '@regime/model/tiny-model';
import { type ReplayExchange, startReplayExchange } from '@regime/replay-exchange';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

function runConsole(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/predictor/src/console.ts', ...args], {
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

describe.skipIf(!hasSharedKlines())('console mode (npm start) against the replay exchange', () => {
  const dir = mkdtempSync(join(tmpdir(), 'predictor-console-'));
  let replay: ReplayExchange;
  beforeAll(async () => {
    await createTinyModel(dir);
    replay = await startReplayExchange({
      dataDir: sharedKlinesDir(),
      symbols: SYMBOLS,
      intervals: ['5m', '15m', '1h'],
      from: Date.UTC(2024, 5, 15, 12, 0),
      speed: 10,
      port: 0,
    });
  });
  afterAll(async () => {
    await replay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints every symbol with the six probabilities the model gives offline for the same candles', async () => {
    const { code, out } = await runConsole(
      [
        '--official',
        '--once',
        '--symbols',
        SYMBOLS.join(','),
        '--rest-url',
        replay.restUrl,
        '--model-dir',
        dir,
      ],
      { TIME_SCALE: '10' },
    );
    expect(code, out).toBe(0);
    const title = /(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC · official · model tiny-test-1/.exec(out);
    expect(title, out).not.toBeNull();
    const asOf = Date.parse(`${title![1]!.replace(' ', 'T')}Z`);

    const model = await loadRegimeModel(dir);
    const warmup = historyWarmup();
    // The console writes what the decision layer decides from the windows at T − 15 min × j.
    const instants = Array.from(
      { length: model.decision.windows },
      (_, k) => asOf - (model.decision.windows - 1 - k) * model.decision.spacingMinutes * 60_000,
    );
    for (const symbol of SYMBOLS) {
      const line = out.split('\n').find((l) => l.startsWith(symbol));
      expect(line, out).toBeDefined();
      const percents = [...line!.matchAll(/(\d+\.\d)%/g)].map((m) => Number(m[1]));
      expect(percents).toHaveLength(7);
      // The candles known at t, read from the source files rather than the exchange.
      const inputAt = (t: number) => {
        const history = {} as Record<(typeof FEATURE_INTERVALS)[number], Candle[]>;
        for (const interval of FEATURE_INTERVALS) {
          const ms = INTERVAL_MS[interval];
          history[interval] = readKlineFiles(sharedKlinesDir(), symbol, interval, {
            from: t - (warmup[interval] + 2) * ms,
            to: t,
          }).filter((c) => closesAt(interval, c.openTime) <= t);
        }
        return modelInputAt(history, t, model.metadata.labeler.params);
      };
      const expected = decidePrediction(model.decision, await model.predict(instants.map(inputAt)));
      expect(line).toContain(REGIME_LABELS[expected!.regime]);
      REGIMES.forEach((regime, i) => {
        // Printed with one decimal: at most half a unit of the last digit away.
        expect(Math.abs(percents[i + 1]! - expected!.probabilities[regime] * 100)).toBeLessThanOrEqual(
          0.0501,
        );
      });
    }
    model.dispose();
  }, 90_000);
});
