import { type Candle, INTERVAL_MS } from '@regime/candles';
import type { CandleHistory } from '@regime/features';
import {
  type CandleSeries,
  FEATURE_INTERVALS,
  type FeatureInterval,
  historyWarmup,
  inputsAsOf,
  type PredictionRequest,
  predictRegimes,
  SymbolCaches,
} from '@regime/inference';
import type { RegimeModel, RegimePrediction } from '@regime/model/runtime';

/** 5-minute as-of instants: the official prediction schedule. */
export const STEP_MS = INTERVAL_MS['5m'];

/** Windows per model call: the inference kernel computes 256 at once (its buffers are sized for that). */
export const DEFAULT_BATCH_SIZE = 256;

export interface WalkForwardOptions {
  batchSize?: number;
  /** false: build every window and view of every instant anew, with no caches; for tests. */
  reuseWindows?: boolean;
  /** Called after every batch with the instants done so far. */
  onProgress?: (done: number) => void;
}

/** The official prediction at each instant, or why there is none (a gap in the candles). */
export type InstantPrediction = { ok: true; prediction: RegimePrediction } | { ok: false; reason: string };

/** First index i with series[i].openTime >= t (series ascending by open time). */
function firstAtOrAfter(series: readonly Candle[], t: number, from = 0): number {
  let lo = from;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (series[mid]!.openTime < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The official prediction as of every instant, computed exactly as the predictor computes it: for
 * each instant T the newest history-warm-up + 1 candles of each interval opened before T (what the
 * predictor's candle cache hands over), then `inputsAsOf(…, 'official', T)` and `predictRegimes`,
 * many instants per model call, with a window cache so that the decision layer's earlier windows
 * (earlier instants' own windows) are not built and answered again. Only candles closed by T enter a prediction: inputsAsOf enforces it.
 */
export async function walkForwardPredictions(
  model: RegimeModel,
  history: CandleHistory,
  instants: readonly number[],
  options: WalkForwardOptions = {},
): Promise<InstantPrediction[]> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  // The predictor's history: one window's warm-up plus the decision layer's earlier windows.
  const warmup = historyWarmup();
  const out: InstantPrediction[] = new Array(instants.length);
  const cursor = Object.fromEntries(FEATURE_INTERVALS.map((i) => [i, 0])) as Record<FeatureInterval, number>;
  let batch: { index: number; request: PredictionRequest }[] = [];
  // Each instant's windows are answered once and reused as the earlier windows of later instants'
  // decisions, and each bar's labeler evidence is computed once; what no later instant reads is
  // dropped after each batch.
  const caches = options.reuseWindows === false ? undefined : new SymbolCaches();
  const flush = async () => {
    if (batch.length === 0) return;
    const outcomes = await predictRegimes(
      model,
      batch.map((b) => (caches ? { ...b.request, caches } : b.request)),
    );
    caches?.forgetBefore(batch[batch.length - 1]!.request.asOf);
    outcomes.forEach((outcome, k) => {
      out[batch[k]!.index] = outcome.ok
        ? { ok: true, prediction: outcome.prediction }
        : { ok: false, reason: outcome.error.message };
    });
    batch = [];
    options.onProgress?.(doneSoFar);
  };
  let doneSoFar = 0;
  for (let index = 0; index < instants.length; index++) {
    const asOf = instants[index]!;
    const recent = {} as CandleSeries;
    for (const interval of FEATURE_INTERVALS) {
      const series = history[interval];
      const end = firstAtOrAfter(series, asOf, cursor[interval]);
      cursor[interval] = end;
      recent[interval] = series.slice(Math.max(0, end - warmup[interval] - 1), end) as Candle[];
    }
    try {
      batch.push({ index, request: { asOf, inputs: inputsAsOf(recent, 'official', asOf, warmup) } });
    } catch (error) {
      out[index] = { ok: false, reason: (error as Error).message };
    }
    doneSoFar = index + 1;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  options.onProgress?.(instants.length);
  return out;
}

/** Every 5-minute instant T with from <= T < to (from rounded up to the 5-minute grid). */
export function asOfInstants(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / STEP_MS) * STEP_MS; t < to; t += STEP_MS) out.push(t);
  return out;
}
