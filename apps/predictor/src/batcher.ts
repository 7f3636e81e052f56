import type { PredictionRow } from '@regime/questdb';
import type { Clock } from './clock.ts';
import type { PredictionInputs } from './inputs.ts';
import type { ModelHolder } from './model-holder.ts';
import { predictRegimes } from './predict.ts';
import type { PredictionMode } from './schedule.ts';

export interface BatchItem {
  symbol: string;
  mode: PredictionMode;
  asOf: number;
  inputs: PredictionInputs;
}

interface Pending extends BatchItem {
  resolve: (row: PredictionRow) => void;
  reject: (error: Error) => void;
}

export interface PredictionBatcherOptions {
  models: ModelHolder;
  clock: Clock;
  /** Writes the rows of one batch (one ILP request); resolves once QuestDB acknowledged them. */
  write: (rows: PredictionRow[]) => Promise<void>;
  batchMax: number;
  onBatch?: (size: number) => void;
}

/**
 * Jobs run concurrently (one per symbol and as-of instant), but the model is far cheaper per window
 * when called on many windows at once. Jobs hand their inputs here; while one batch is in the model,
 * the next one fills up, so the batch size adapts to the load without a fixed wait. Each batch's rows
 * are written in one ILP request, and each job resolves only once its row is acknowledged.
 */
export class PredictionBatcher {
  private pending: Pending[] = [];
  private running = false;

  constructor(private readonly options: PredictionBatcherOptions) {}

  submit(item: BatchItem): Promise<PredictionRow> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the other jobs resolved in this turn of the event loop join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.batchMax);
      await this.run(batch);
    }
    this.running = false;
  }

  private async run(batch: Pending[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    try {
      await this.options.models.use(async (model) => {
        const outcomes = await predictRegimes(model, batch);
        const rows: PredictionRow[] = [];
        const written: Pending[] = [];
        const createdAt = this.options.clock.now();
        outcomes.forEach((outcome, i) => {
          const item = batch[i]!;
          if (!outcome.ok) {
            item.reject(outcome.error);
            return;
          }
          const { regime, confidence, probabilities } = outcome.prediction;
          rows.push({
            ts: item.asOf,
            symbol: item.symbol,
            mode: item.mode,
            regime,
            confidence,
            probabilities,
            modelVersion: model.version,
            latencyMs: createdAt - item.asOf,
            createdAt,
          });
          written.push(item);
        });
        if (rows.length === 0) return;
        try {
          await this.options.write(rows);
        } catch (error) {
          for (const item of written) item.reject(error as Error);
          return;
        }
        written.forEach((item, i) => {
          item.resolve(rows[i]!);
        });
      });
    } catch (error) {
      for (const item of batch) item.reject(error as Error);
    }
  }
}
