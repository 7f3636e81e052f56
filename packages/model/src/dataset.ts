import { type Candle, INTERVAL_MS } from '@regime/candles';
import {
  type CandleHistory,
  FEATURE_NAMES,
  FeatureError,
  type FeatureWindow,
  featureWindow,
  featureWindows,
  WINDOW_STEPS,
  warmupCandles,
} from '@regime/features';
import {
  BASE_INTERVAL_MS,
  type InstantLabels,
  type LabelerParams,
  regimeIndex,
  SeriesLabeler,
} from '@regime/labeler';

/** One symbol's candles for dataset assembly. */
export interface SymbolHistory {
  symbol: string;
  history: CandleHistory;
}

/** Samples as parallel arrays: windows are `size × steps × features` float32, row-major, oldest step first. */
export interface Dataset {
  size: number;
  steps: number;
  featureCount: number;
  windows: Float32Array;
  /** Labeler 2's regime index at T (the target). */
  labels: Uint8Array;
  /** The causal segmentation's regime at T (a baseline: the labeler on the data up to T only). */
  causal: Uint8Array;
  /** Today's trailing-window rules' regime at T (a baseline). */
  rules: Uint8Array;
  asOf: Float64Array;
  /** Index into `symbols` per sample. */
  symbolIndex: Uint8Array;
  symbols: string[];
}

/** Why candidate instants were dropped: nothing is bridged, every drop is counted. */
export interface SkipCounts {
  /** A candle the labels need is missing (a bar's window or its history crosses a gap, or the causal
   * state has too few bars since the last gap). */
  labelGap: number;
  /** Too close to the end of the data (or to a gap after it) for the segmentation to have settled. */
  labelUnsettled: number;
  /** The feature window would span a missing candle. */
  featureGap: number;
  /** Not enough candles before the instant for the features to warm up. */
  featureWarmup: number;
}

export interface DatasetProgress {
  symbol: string;
  done: number;
  total: number;
}

const labelers = new WeakMap<readonly Candle[], { params: LabelerParams; labeler: SeriesLabeler }>();

/**
 * The labeler of a base series, built once per series and parameters: the segmentation covers the
 * whole series, and a dataset is built in many chunks of instants from the same history.
 */
export function labelerFor(candles: readonly Candle[], params: LabelerParams): SeriesLabeler {
  const cached = labelers.get(candles);
  if (cached && cached.params === params) return cached.labeler;
  const labeler = new SeriesLabeler(candles, params);
  labelers.set(candles, { params, labeler });
  return labeler;
}

/** As-of instants in [from, to) every `strideMs` (a multiple of 5 minutes), aligned to the stride. */
export function asOfInstants(from: number, to: number, strideMs: number): number[] {
  if (strideMs <= 0 || strideMs % BASE_INTERVAL_MS !== 0) {
    throw new Error(`stride ${strideMs} ms is not a positive multiple of 5 minutes`);
  }
  const out: number[] = [];
  for (let t = Math.ceil(from / strideMs) * strideMs; t < to; t += strideMs) out.push(t);
  return out;
}

/** Instants per featureWindows() call: bounds memory and the history each call re-reads. */
const CHUNK = 2048;

function lowerBound(candles: readonly Candle[], openTime: number): number {
  let lo = 0;
  let hi = candles.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (candles[mid]!.openTime < openTime) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The candles a batch of windows for as-of instants in [first, last] can use: from the warm-up
 * before `first` to `last`. Production reads the same warm-up before T, so training sees the same
 * indicator seeding as the live predictor.
 */
export function historyFor(history: CandleHistory, first: number, last: number): CandleHistory {
  const warmup = warmupCandles();
  const slice = (interval: '5m' | '15m' | '1h') => {
    const candles = history[interval];
    const from = lowerBound(candles, first - (warmup[interval] + 1) * INTERVAL_MS[interval]);
    return candles.slice(from, lowerBound(candles, last));
  };
  return { '5m': slice('5m'), '15m': slice('15m'), '1h': slice('1h') };
}

/** Feature windows for `asOfs` (ascending), dropping (and counting) the instants whose window cannot be computed. */
function windowsOrSkip(
  history: CandleHistory,
  asOfs: readonly number[],
  skipped: SkipCounts,
): (FeatureWindow | undefined)[] {
  const found = new Map<number, FeatureWindow>();
  for (const w of featureWindows(history, asOfs, { onError: 'skip' })) found.set(w.asOf, w);
  return asOfs.map((asOf) => {
    const w = found.get(asOf);
    if (w) return w;
    // The batch path only says that an instant failed; the single path says why.
    try {
      featureWindow(history, asOf);
    } catch (error) {
      if (!(error instanceof FeatureError)) throw error;
      if (error.code === 'gap') skipped.featureGap++;
      else if (error.code === 'insufficient_history') skipped.featureWarmup++;
      else throw error;
      return undefined;
    }
    throw new Error(`featureWindows skipped ${asOf} but featureWindow computed it`);
  });
}

/**
 * Assembles labelled samples: for each symbol and each candidate as-of instant, the 64 × 36 window
 * from packages/features, labeler 2's regime at T and the two labeler baselines (causal, rules). Pure: candles in, arrays out.
 */
export function buildDataset(
  inputs: readonly SymbolHistory[],
  asOfs: readonly number[],
  params: LabelerParams,
  onProgress?: (p: DatasetProgress) => void,
): { dataset: Dataset; skipped: SkipCounts } {
  const skipped: SkipCounts = { labelGap: 0, labelUnsettled: 0, featureGap: 0, featureWarmup: 0 };
  const featureCount = FEATURE_NAMES.length;
  const stride = WINDOW_STEPS * featureCount;
  const windows: Float32Array[] = [];
  const labels: number[] = [];
  const causal: number[] = [];
  const rules: number[] = [];
  const sampleAsOf: number[] = [];
  const symbolIndex: number[] = [];
  inputs.forEach((input, s) => {
    const labeler = labelerFor(input.history['5m'], params);
    const labelled: { asOf: number; labels: InstantLabels }[] = [];
    for (const asOf of asOfs) {
      const l = labeler.labelsAt(asOf);
      if (l === 'gap') skipped.labelGap++;
      else if (l === 'unsettled') skipped.labelUnsettled++;
      else labelled.push({ asOf, labels: l });
    }
    for (let c = 0; c < labelled.length; c += CHUNK) {
      const chunk = labelled.slice(c, c + CHUNK);
      const times = chunk.map((x) => x.asOf);
      const found = windowsOrSkip(
        historyFor(input.history, times[0]!, times[times.length - 1]!),
        times,
        skipped,
      );
      chunk.forEach((x, k) => {
        const w = found[k];
        if (!w) return;
        windows.push(Float32Array.from(w.values));
        labels.push(regimeIndex(x.labels.label));
        causal.push(regimeIndex(x.labels.causal));
        rules.push(regimeIndex(x.labels.rules));
        sampleAsOf.push(x.asOf);
        symbolIndex.push(s);
      });
      onProgress?.({
        symbol: input.symbol,
        done: Math.min(c + CHUNK, labelled.length),
        total: labelled.length,
      });
    }
  });
  const all = new Float32Array(windows.length * stride);
  windows.forEach((w, i) => {
    all.set(w, i * stride);
  });
  return {
    dataset: {
      size: windows.length,
      steps: WINDOW_STEPS,
      featureCount,
      windows: all,
      labels: Uint8Array.from(labels),
      causal: Uint8Array.from(causal),
      rules: Uint8Array.from(rules),
      asOf: Float64Array.from(sampleAsOf),
      symbolIndex: Uint8Array.from(symbolIndex),
      symbols: inputs.map((i) => i.symbol),
    },
    skipped,
  };
}

/** Concatenates datasets built with the same symbol list (e.g. chunk by chunk). */
export function concatDatasets(parts: readonly Dataset[], symbols: string[]): Dataset {
  const first = parts[0];
  const steps = first?.steps ?? WINDOW_STEPS;
  const featureCount = first?.featureCount ?? FEATURE_NAMES.length;
  const size = parts.reduce((n, p) => n + p.size, 0);
  const out: Dataset = {
    size,
    steps,
    featureCount,
    windows: new Float32Array(size * steps * featureCount),
    labels: new Uint8Array(size),
    causal: new Uint8Array(size),
    rules: new Uint8Array(size),
    asOf: new Float64Array(size),
    symbolIndex: new Uint8Array(size),
    symbols,
  };
  let at = 0;
  for (const p of parts) {
    out.windows.set(p.windows, at * steps * featureCount);
    out.labels.set(p.labels, at);
    out.causal.set(p.causal, at);
    out.rules.set(p.rules, at);
    out.asOf.set(p.asOf, at);
    out.symbolIndex.set(
      p.symbolIndex.map((i) => symbols.indexOf(p.symbols[i]!)),
      at,
    );
    at += p.size;
  }
  return out;
}

export function addSkipCounts(a: SkipCounts, b: SkipCounts): SkipCounts {
  return {
    labelGap: a.labelGap + b.labelGap,
    labelUnsettled: a.labelUnsettled + b.labelUnsettled,
    featureGap: a.featureGap + b.featureGap,
    featureWarmup: a.featureWarmup + b.featureWarmup,
  };
}
