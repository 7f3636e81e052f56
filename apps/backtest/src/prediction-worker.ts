import { parentPort, workerData } from 'node:worker_threads';
import type { CandleHistory } from '@regime/features';
import { openModel } from './model-artifact.ts';
import { walkForwardPredictions } from './walk-forward.ts';

/**
 * A worker thread of the prediction pool: loads the model once, then runs walkForwardPredictions on
 * each task it is sent (the same function the single-threaded path calls), posting progress.
 */
export interface PredictionTask {
  id: number;
  history: CandleHistory;
  instants: number[];
}

const { modelDir, batchSize } = workerData as { modelDir: string | undefined; batchSize: number };
const port = parentPort!;
const model = await openModel(modelDir);
port.on('message', (task: PredictionTask) => {
  walkForwardPredictions(model, task.history, task.instants, {
    batchSize,
    onProgress: (done) => port.postMessage({ id: task.id, type: 'progress', done }),
  }).then(
    (predictions) => port.postMessage({ id: task.id, type: 'done', predictions }),
    (error: Error) => port.postMessage({ id: task.id, type: 'error', message: error.message }),
  );
});
port.postMessage({ type: 'ready' });
