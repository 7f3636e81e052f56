import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PredictSymbol } from './backtest.ts';
import type { PredictionTask } from './prediction-worker.ts';
import type { InstantPrediction } from './walk-forward.ts';

/**
 * Worker threads do not inherit the tsx loader of the main thread: the bootstrap registers it with
 * tsx's ESM API (the file its package exports map names for `import 'tsx/esm/api'`), then imports
 * the TypeScript worker module.
 */
const TSX_ESM_API = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
).href;
const WORKER_BOOTSTRAP = `import(${JSON.stringify(TSX_ESM_API)})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./prediction-worker.ts', import.meta.url).href)}); });`;

type WorkerMessage =
  | { type: 'ready' }
  | { id: number; type: 'progress'; done: number }
  | { id: number; type: 'done'; predictions: InstantPrediction[] }
  | { id: number; type: 'error'; message: string };

interface Pending {
  task: PredictionTask;
  onProgress: (done: number) => void;
  resolve: (predictions: InstantPrediction[]) => void;
  reject: (error: Error) => void;
}

/**
 * Walk-forward predictions on worker threads: a model call and a feature window each keep one core
 * busy, so a 2-core machine computes two chunks of instants at once. Each symbol's instants are cut
 * into one chunk per worker; a chunk is exactly what the single-threaded path would compute for those
 * instants (the predictions of an instant depend only on the candles, never on other instants).
 * The workers run the TypeScript sources through tsx, as the apps do.
 */
export function predictionPool(
  size: number,
  modelDir: string | undefined,
  batchSize: number,
): { predict: PredictSymbol; close(): Promise<void> } {
  const idle: Worker[] = [];
  const queue: Pending[] = [];
  const running = new Map<number, Pending>();
  let nextId = 0;
  let failed: Error | undefined;

  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const pending = queue.shift()!;
      running.set(pending.task.id, pending);
      worker.postMessage(pending.task);
    }
  };
  const fail = (error: Error) => {
    failed ??= error;
    for (const p of [...running.values(), ...queue]) p.reject(error);
    running.clear();
    queue.length = 0;
  };

  const workers = Array.from({ length: size }, () => {
    const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: { modelDir, batchSize } });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        idle.push(worker);
        dispatch();
        return;
      }
      const pending = running.get(message.id);
      if (!pending) return;
      if (message.type === 'progress') {
        pending.onProgress(message.done);
        return;
      }
      running.delete(message.id);
      idle.push(worker);
      if (message.type === 'done') pending.resolve(message.predictions);
      else pending.reject(new Error(message.message));
      dispatch();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`a prediction worker exited with code ${code}`));
    });
    return worker;
  });

  const runChunk = (task: Omit<PredictionTask, 'id'>, onProgress: (done: number) => void) =>
    new Promise<InstantPrediction[]>((resolve, reject) => {
      if (failed) {
        reject(failed);
        return;
      }
      queue.push({ task: { ...task, id: nextId++ }, onProgress, resolve, reject });
      dispatch();
    });

  const predict: PredictSymbol = async (_symbol, history, instants, onProgress) => {
    const chunk = Math.ceil(instants.length / size);
    const chunks: number[][] = [];
    for (let start = 0; start < instants.length; start += chunk)
      chunks.push(instants.slice(start, start + chunk));
    const done = chunks.map(() => 0);
    const results = await Promise.all(
      chunks.map((c, k) =>
        runChunk({ history, instants: c }, (n) => {
          done[k] = n;
          onProgress(done.reduce((a, b) => a + b, 0));
        }),
      ),
    );
    return results.flat();
  };

  return {
    predict,
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
