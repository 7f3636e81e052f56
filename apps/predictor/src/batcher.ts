import { type PredictionInputs, predictRegimes, type StageTimes, SymbolCaches } from '@regime/inference';
import type { PredictionRow } from '@regime/questdb';
import type { Clock } from '@regime/service';
import type { ModelHolder } from './model-holder.ts';
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

/** A job's place in the next batch, taken before it reads its candles. */
export interface BatchReservation {
  submit(item: BatchItem): Promise<PredictionRow>;
  /** The job will not submit (its inputs were unusable). */
  cancel(): void;
}

export interface PredictionBatcherOptions {
  models: ModelHolder;
  clock: Clock;
  /** Writes the rows of one batch (one ILP request); resolves once QuestDB acknowledged them. */
  write: (rows: PredictionRow[]) => Promise<void>;
  batchMax: number;
  /** How long a batch may wait for reserved jobs still reading their candles (wall ms). */
  batchWaitMs: number;
  onBatch?: (size: number) => void;
  /** Milliseconds per stage of each batch (features, view, model, write). */
  onStages?: (times: StageTimes & { write: number }) => void;
}

/**
 * Jobs run concurrently (one per symbol and as-of instant), but a model call costs ~15 ms of CPU
 * whatever its size and ~0.1 ms per window: calling it once per job would cap the predictor at
 * ~60 predictions/s. So jobs reserve a place when they start, read their candles, and hand their
 * inputs here; a batch starts once every reserved job has handed in (or given up), when it is full,
 * or after batchWaitMs. While one batch is in the model the next one fills up. Each batch's rows are
 * written in one ILP request, and each job resolves only once its row is acknowledged.
 */
export class PredictionBatcher {
  private pending: Pending[] = [];
  /** Per symbol, the views and answers of the model in use (dropped when another model is loaded). */
  private caches: { version: string; bySymbol: Map<string, SymbolCaches> } = {
    version: '',
    bySymbol: new Map(),
  };
  private reserved = 0;
  private running = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: PredictionBatcherOptions) {}

  reserve(): BatchReservation {
    this.reserved++;
    let released = false;
    const release = () => {
      if (released) return false;
      released = true;
      this.reserved--;
      this.wake?.();
      return true;
    };
    return {
      submit: (item) => {
        if (!release()) return Promise.reject(new Error('batch reservation used twice'));
        return this.enqueue(item);
      },
      cancel: () => {
        release();
      },
    };
  }

  private enqueue(item: BatchItem): Promise<PredictionRow> {
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
      await this.gather();
      const batch = this.pending.splice(0, this.options.batchMax);
      await this.run(batch);
    }
    this.running = false;
  }

  /** Waits (at most batchWaitMs) for the reserved jobs still reading their candles. */
  private async gather(): Promise<void> {
    const deadline = Date.now() + this.options.batchWaitMs;
    while (this.reserved > 0 && this.pending.length < this.options.batchMax) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, left);
        this.wake = done;
      });
    }
  }

  /**
   * The caches of the batch's symbols for this model: the decision layer's earlier windows are the
   * windows of earlier official jobs, so each official job answers one new window, not `windows`.
   */
  private cachesFor(version: string, batch: readonly Pending[]): Map<string, SymbolCaches> {
    if (this.caches.version !== version) this.caches = { version, bySymbol: new Map() };
    const { bySymbol } = this.caches;
    for (const item of batch) if (!bySymbol.has(item.symbol)) bySymbol.set(item.symbol, new SymbolCaches());
    return bySymbol;
  }

  private async run(batch: Pending[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    try {
      await this.options.models.use(async (model) => {
        const caches = this.cachesFor(model.version, batch);
        const times: StageTimes = { features: 0, view: 0, model: 0 };
        const outcomes = await predictRegimes(
          model,
          batch.map((item) => ({ asOf: item.asOf, inputs: item.inputs, caches: caches.get(item.symbol)! })),
          { times },
        );
        forgetOld(caches, batch);
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
        if (rows.length === 0) {
          this.options.onStages?.({ ...times, write: 0 });
          return;
        }
        const writeStart = performance.now();
        try {
          await this.options.write(rows);
        } catch (error) {
          for (const item of written) item.reject(error as Error);
          return;
        }
        this.options.onStages?.({ ...times, write: performance.now() - writeStart });
        written.forEach((item, i) => {
          item.resolve(rows[i]!);
        });
      });
    } catch (error) {
      for (const item of batch) item.reject(error as Error);
    }
  }
}

/** Forgets, per symbol of a batch, what no job as of its oldest instant or later reads. */
function forgetOld(caches: Map<string, SymbolCaches>, batch: readonly BatchItem[]): void {
  const oldest = new Map<string, number>();
  for (const item of batch)
    oldest.set(item.symbol, Math.min(oldest.get(item.symbol) ?? item.asOf, item.asOf));
  for (const [symbol, asOf] of oldest) caches.get(symbol)?.forgetBefore(asOf);
}
