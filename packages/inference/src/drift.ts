import { type Candle, INTERVAL_MS } from '@regime/candles';
import type { CandleHistory } from '@regime/features';
import type { LabelerParams } from '@regime/labeler';
import { InputColumns, type InputDistribution, inputPsi, majorDriftThresholds } from '@regime/model';
import { type CandleSeries, FEATURE_INTERVALS } from './inputs.ts';
import { historyWarmup, modelInputAt, SymbolCaches } from './predict.ts';

/** The span drift is measured over, before T. */
export const DRIFT_WINDOW_MS = 24 * 3_600_000;
const FIVE_MINUTES = 300_000;

/**
 * Where drift reads candles: 5m, 15m and 1h candles of a symbol with open time in [from, to),
 * ascending. The shape of @regime/model's CandleSource (files or QuestDB `klines`, closed candles).
 */
export interface DriftCandleReader {
  history(symbol: string, range: { from: number; to: number }): Promise<CandleHistory>;
}

/** What drift needs of a loaded model: its version and its labeler parameters. */
export interface DriftModel {
  readonly version: string;
  readonly metadata: { readonly labeler: { readonly params: LabelerParams } };
}

/** One feature_drift row: PSI of one input of one symbol over the 24 h before ts. */
export interface DriftRow {
  ts: number;
  symbol: string;
  feature: string;
  psi: number;
  /** The PSI above which this input has drifted (majorDriftThreshold). */
  threshold: number;
  modelVersion: string;
}

export interface SymbolDrift {
  /** One row per model input (DRIFT_INPUT_NAMES order); empty when no instant could be built. */
  rows: DriftRow[];
  /**
   * The rows above their input's major-drift threshold (majorDriftThreshold: 0.25, or the input's
   * 99th percentile of 24-hour PSI on training days when higher): what should queue a retrain.
   */
  major: DriftRow[];
  /** Official instants in the 24 h whose inputs were built. */
  instants: number;
  /** Instants whose inputs could not be built (a gap, too little history), with why. */
  missed: { asOf: number; reason: string }[];
}

/** The official (5-minute) instants in (T − 24 h, T], oldest first; T itself is floored to 5 minutes. */
export function driftInstants(asOf: number): number[] {
  const newest = Math.floor(asOf / FIVE_MINUTES) * FIVE_MINUTES;
  const out: number[] = [];
  for (let t = newest - DRIFT_WINDOW_MS + FIVE_MINUTES; t <= newest; t += FIVE_MINUTES) out.push(t);
  return out;
}

/**
 * Drift of one symbol as of T: the model inputs of every official instant of the 24 h before T,
 * built exactly as the predictor builds them (modelInputAt, with the labeler view's cache), and each
 * input's PSI against the model's training distribution. Reads the candles once through `reader`
 * (the candles closed by T: nothing after T is used), no other I/O.
 */
export async function driftAsOf(
  model: DriftModel,
  distribution: InputDistribution,
  symbol: string,
  asOf: number,
  reader: DriftCandleReader,
): Promise<SymbolDrift> {
  if (distribution.modelVersion !== model.version) {
    throw new Error(`the input distribution is model ${distribution.modelVersion}'s, not ${model.version}'s`);
  }
  const instants = driftInstants(asOf);
  const first = instants[0]!;
  const newest = instants[instants.length - 1]!;
  const warmup = historyWarmup();
  const from = Math.min(...FEATURE_INTERVALS.map((i) => first - (warmup[i] + 1) * INTERVAL_MS[i]));
  const read = await reader.history(symbol, { from, to: newest });
  // Only candles closed by T, whatever the reader returned (no look-ahead, no in-progress candle).
  const history = {} as CandleSeries;
  for (const interval of FEATURE_INTERVALS) {
    const ms = INTERVAL_MS[interval];
    history[interval] = read[interval].filter((c: Candle) => c.closed && c.openTime + ms <= newest);
  }
  const params = model.metadata.labeler.params;
  const caches = new SymbolCaches();
  const columns = new InputColumns(instants.length);
  const missed: SymbolDrift['missed'] = [];
  for (const t of instants) {
    try {
      columns.addModelInput(modelInputAt(history, t, params, { views: caches.views }));
    } catch (error) {
      missed.push({ asOf: t, reason: (error as Error).message });
    }
  }
  if (columns.instants === 0) return { rows: [], major: [], instants: 0, missed };
  const thresholds = majorDriftThresholds(distribution);
  const rows = inputPsi(distribution, columns).map(({ feature, psi }) => ({
    ts: newest,
    symbol,
    feature,
    psi,
    threshold: thresholds.get(feature)!,
    modelVersion: model.version,
  }));
  const major = rows.filter((r) => r.psi > r.threshold);
  return { rows, major, instants: columns.instants, missed };
}
