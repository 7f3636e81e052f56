import { createHash } from 'node:crypto';
import { INTERVAL_MS } from '@regime/candles';
import { warmupCandles } from '@regime/features';
import { BAR_MS, BASE_INTERVAL_MS, historyCandles, type LabelerParams, windowSpan } from '@regime/labeler';
import type { Period } from './config.ts';
import {
  addSkipCounts,
  asOfInstants,
  buildDataset,
  concatDatasets,
  type Dataset,
  type DatasetProgress,
  type SkipCounts,
  type SymbolHistory,
} from './dataset.ts';
import { MAX_DECISION_SPAN_MINUTES } from './decision.ts';
import { VIEW_BARS_SIZE, VIEW_SUMMARY_WIDTH } from './view-inputs.ts';

/**
 * The samples of a period: which candles it needs, its dataset built in chunks, subsets of it, and
 * the hash of the candles it was built from.
 */

/** How far before a period's first instant the decision layer reads earlier windows. */
export const DECISION_LEAD_IN_MS = MAX_DECISION_SPAN_MINUTES * 60_000;

/**
 * Candle range (open times) a period of as-of instants needs: before it, the longer of the label
 * history (which covers the labeler's view) and the features' warm-up of every interval, plus the
 * decision layer's lead-in; after it, the label horizon.
 */
export function candleRange(period: Period, params: LabelerParams): Period {
  // The first bar's window and its history, plus the bars the causal state needs to warm up.
  const labelBefore =
    (historyCandles(params) + windowSpan(params)) * BASE_INTERVAL_MS +
    params.segmentation.warmupBars * BAR_MS;
  const warmup = warmupCandles();
  const featureBefore = Math.max(
    ...(['5m', '15m', '1h'] as const).map((interval) => (warmup[interval] + 1) * INTERVAL_MS[interval]),
  );
  return {
    from: period.from - DECISION_LEAD_IN_MS - Math.max(labelBefore, featureBefore),
    to: period.to + labelHorizonMs(params),
  };
}

/** How far after T the data must reach for T's label to have settled (the segmentation looks ahead). */
export function labelHorizonMs(params: LabelerParams): number {
  return (params.segmentation.settleBars + 1) * BAR_MS;
}

/** sha256 over every candle (open time and OHLCV) of every series used, in a fixed order. */
export function historyHash(inputs: readonly SymbolHistory[]): string {
  const hash = createHash('sha256');
  for (const input of inputs) {
    for (const interval of ['5m', '15m', '1h'] as const) {
      hash.update(`${input.symbol}/${interval}\n`);
      for (const c of input.history[interval]) {
        hash.update(`${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}\n`);
      }
    }
  }
  return hash.digest('hex');
}

/** Evenly spaced subsample of at most `max` sample indices (keeps the chronological spread). */
export function evenSubsample(size: number, max: number | undefined): Uint32Array {
  const count = max === undefined ? size : Math.min(size, max);
  const out = new Uint32Array(count);
  for (let k = 0; k < count; k++) out[k] = Math.floor((k * size) / count);
  return out;
}

type Column = Uint8Array | Int8Array | Float32Array | Float64Array;

/** Rows `indices` of a column of `width` values per sample, in that order. */
function pick<T extends Column>(src: T, indices: ArrayLike<number>, width = 1): T {
  const out = new (src.constructor as new (length: number) => T)(indices.length * width);
  for (let k = 0; k < indices.length; k++) {
    const from = indices[k]! * width;
    // Every typed array has set/subarray; the union's overloads do not type-check together.
    (out as Float64Array).set((src as Float64Array).subarray(from, from + width), k * width);
  }
  return out;
}

/** The samples at `indices`, in that order. */
export function selectSamples(d: Dataset, indices: ArrayLike<number>): Dataset {
  return {
    ...d,
    size: indices.length,
    windows: pick(d.windows, indices, d.steps * d.featureCount),
    viewSummary: pick(d.viewSummary, indices, VIEW_SUMMARY_WIDTH),
    viewBars: pick(d.viewBars, indices, VIEW_BARS_SIZE),
    labels: pick(d.labels, indices),
    causal: pick(d.causal, indices),
    rules: pick(d.rules, indices),
    asOf: pick(d.asOf, indices),
    symbolIndex: pick(d.symbolIndex, indices),
    outcome: {
      volRatio: pick(d.outcome.volRatio, indices),
      netSigma: pick(d.outcome.netSigma, indices),
      efficiency: pick(d.outcome.efficiency, indices),
      continues: pick(d.outcome.continues, indices),
    },
  };
}

/** Probabilities (n × 6) of the samples at `indices`. */
export function selectRows(
  probabilities: Float32Array,
  indices: ArrayLike<number>,
  width: number,
): Float32Array {
  return pick(probabilities, indices, width);
}

/** As-of instants per buildDataset() call in splitDataset(). */
const INSTANTS_PER_CALL = 4096;

/**
 * Builds the dataset of one period, symbol by symbol and in chunks, yielding to the event loop between
 * chunks so progress and log lines are written while it runs (the builder itself is synchronous).
 */
export async function splitDataset(
  inputs: readonly SymbolHistory[],
  period: Period,
  strideMinutes: number,
  params: LabelerParams,
  onProgress?: (p: DatasetProgress) => void,
): Promise<{ dataset: Dataset; skipped: SkipCounts }> {
  const asOfs = asOfInstants(period.from, period.to, strideMinutes * 60_000);
  const symbols = inputs.map((i) => i.symbol);
  const parts: Dataset[] = [];
  let skipped: SkipCounts = { labelGap: 0, labelUnsettled: 0, featureGap: 0, featureWarmup: 0 };
  for (const input of inputs) {
    for (let c = 0; c < asOfs.length; c += INSTANTS_PER_CALL) {
      const built = buildDataset([input], asOfs.slice(c, c + INSTANTS_PER_CALL), params);
      parts.push(built.dataset);
      skipped = addSkipCounts(skipped, built.skipped);
      onProgress?.({
        symbol: input.symbol,
        done: Math.min(asOfs.length, c + INSTANTS_PER_CALL),
        total: asOfs.length,
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { dataset: concatDatasets(parts, symbols), skipped };
}

/** Indices of the samples at or after `from` (the rest of an evaluation set is the decision's lead-in). */
export function samplesFrom(d: Dataset, from: number): Uint32Array {
  const out: number[] = [];
  for (let i = 0; i < d.size; i++) if (d.asOf[i]! >= from) out.push(i);
  return Uint32Array.from(out);
}
