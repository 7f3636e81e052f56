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
  closeLookup,
  forwardOutcome,
  type InstantLabels,
  type LabelerParams,
  labelerViewAsOf,
  regimeIndex,
  SeriesLabeler,
  ViewCache,
  viewCandles,
} from '@regime/labeler';
import { VIEW_BARS_SIZE, VIEW_SUMMARY_WIDTH, writeViewInputs } from './view-inputs.ts';

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
  /** The labeler's causal view as of T (view-inputs.ts), unscaled: size × VIEW_SUMMARY_WIDTH. */
  viewSummary: Float32Array;
  /** size × VIEW_BARS × VIEW_BAR_WIDTH, unscaled. */
  viewBars: Float32Array;
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
  /** What the next 4 hours did (@regime/labeler forwardOutcome): the yardstick of the regime profile. */
  outcome: SampleOutcomes;
}

/** Per-sample forward outcomes; NaN (and `continues` −1) where a close it needs is missing. */
export interface SampleOutcomes {
  volRatio: Float32Array;
  netSigma: Float32Array;
  efficiency: Float32Array;
  /** 1: the next 4 h continue the last 4 h's direction, 0: they do not, −1: no direction or unknown. */
  continues: Int8Array;
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

interface SeriesState {
  params: LabelerParams;
  labeler: SeriesLabeler;
  views: ViewCache;
  closeAt: (closeTime: number) => number | undefined;
}

const seriesStates = new WeakMap<readonly Candle[], SeriesState>();

/**
 * What a dataset builds once per base series and parameters: the labeler (the segmentation covers the
 * whole series), the view cache and a close lookup. A dataset is built in many chunks of instants from
 * the same history.
 */
function seriesState(candles: readonly Candle[], params: LabelerParams): SeriesState {
  const cached = seriesStates.get(candles);
  if (cached && cached.params === params) return cached;
  const state = {
    params,
    labeler: new SeriesLabeler(candles, params),
    views: new ViewCache(),
    closeAt: closeLookup(candles),
  };
  seriesStates.set(candles, state);
  return state;
}

/** The labeler of a base series, built once per series and parameters. */
export function labelerFor(candles: readonly Candle[], params: LabelerParams): SeriesLabeler {
  return seriesState(candles, params).labeler;
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
 * from packages/features, the labeler's causal view as of T (@regime/labeler, the same function the
 * predictor calls), labeler 2's regime at T, the two labeler baselines (causal, rules) and what the
 * next 4 hours did. Pure: candles in, arrays out.
 */
export function buildDataset(
  inputs: readonly SymbolHistory[],
  asOfs: readonly number[],
  params: LabelerParams,
  onProgress?: (p: DatasetProgress) => void,
): { dataset: Dataset; skipped: SkipCounts } {
  const skipped: SkipCounts = { labelGap: 0, labelUnsettled: 0, featureGap: 0, featureWarmup: 0 };
  const parts: Dataset[] = [];
  for (const input of inputs) {
    const state = seriesState(input.history['5m'], params);
    const labelled: { asOf: number; labels: InstantLabels }[] = [];
    for (const asOf of asOfs) {
      const l = state.labeler.labelsAt(asOf);
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
      const kept = chunk.flatMap((x, k) => (found[k] ? [{ ...x, window: found[k]! }] : []));
      const part = emptyDataset(kept.length, [input.symbol]);
      kept.forEach((x, i) => {
        part.windows.set(x.window.values, i * WINDOW_STEPS * FEATURE_NAMES.length);
        // Every labelled instant has its view: its label needs warmupBars contiguous bars of evidence
        // before it, which is the view's span. A failure here is a bug, not a data problem.
        const view = labelerViewAsOf(input.history['5m'], x.asOf, params, state.views);
        writeViewInputs(view, part.viewSummary, i * VIEW_SUMMARY_WIDTH, part.viewBars, i * VIEW_BARS_SIZE);
        part.labels[i] = regimeIndex(x.labels.label);
        part.causal[i] = regimeIndex(x.labels.causal);
        part.rules[i] = regimeIndex(x.labels.rules);
        part.asOf[i] = x.asOf;
        const o = forwardOutcome(x.asOf, state.closeAt);
        part.outcome.volRatio[i] = o?.volRatio ?? Number.NaN;
        part.outcome.netSigma[i] = o?.netSigma ?? Number.NaN;
        part.outcome.efficiency[i] = o?.efficiency ?? Number.NaN;
        part.outcome.continues[i] = o?.continues == null ? -1 : o.continues ? 1 : 0;
      });
      parts.push(part);
      onProgress?.({
        symbol: input.symbol,
        done: Math.min(c + CHUNK, labelled.length),
        total: labelled.length,
      });
    }
    // Later calls ask for later instants: bars older than the newest view's span are not read again.
    const newest = labelled[labelled.length - 1]?.asOf;
    if (newest !== undefined) state.views.forgetBefore(newest - viewCandles(params) * BASE_INTERVAL_MS);
  }
  return {
    dataset: concatDatasets(
      parts,
      inputs.map((i) => i.symbol),
    ),
    skipped,
  };
}

/** A dataset of `size` zeroed samples of one symbol list (filled by the caller). */
function emptyDataset(size: number, symbols: string[]): Dataset {
  return {
    size,
    steps: WINDOW_STEPS,
    featureCount: FEATURE_NAMES.length,
    windows: new Float32Array(size * WINDOW_STEPS * FEATURE_NAMES.length),
    viewSummary: new Float32Array(size * VIEW_SUMMARY_WIDTH),
    viewBars: new Float32Array(size * VIEW_BARS_SIZE),
    labels: new Uint8Array(size),
    causal: new Uint8Array(size),
    rules: new Uint8Array(size),
    asOf: new Float64Array(size),
    symbolIndex: new Uint8Array(size),
    symbols,
    outcome: {
      volRatio: new Float32Array(size),
      netSigma: new Float32Array(size),
      efficiency: new Float32Array(size),
      continues: new Int8Array(size),
    },
  };
}

/** Concatenates datasets built with the same symbol list (e.g. chunk by chunk). */
export function concatDatasets(parts: readonly Dataset[], symbols: string[]): Dataset {
  const size = parts.reduce((n, p) => n + p.size, 0);
  const out = emptyDataset(size, symbols);
  let at = 0;
  for (const p of parts) {
    out.windows.set(p.windows, at * out.steps * out.featureCount);
    out.viewSummary.set(p.viewSummary, at * VIEW_SUMMARY_WIDTH);
    out.viewBars.set(p.viewBars, at * VIEW_BARS_SIZE);
    out.labels.set(p.labels, at);
    out.causal.set(p.causal, at);
    out.rules.set(p.rules, at);
    out.asOf.set(p.asOf, at);
    out.symbolIndex.set(
      p.symbolIndex.map((i) => symbols.indexOf(p.symbols[i]!)),
      at,
    );
    for (const key of ['volRatio', 'netSigma', 'efficiency', 'continues'] as const)
      out.outcome[key].set(p.outcome[key], at);
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
