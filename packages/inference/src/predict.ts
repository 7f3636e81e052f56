import { type Candle, INTERVAL_MS } from '@regime/candles';
import { type FeatureWindow, featureWindow, warmupCandles } from '@regime/features';
import {
  decidePrediction,
  MAX_DECISION_SPAN_MINUTES,
  type RegimeModel,
  type RegimePrediction,
} from '@regime/model';
import {
  type CandleSeries,
  FEATURE_INTERVALS,
  type FeatureInterval,
  type PredictionInputs,
} from './inputs.ts';

/** One "as of T" question: candles known at T (plus live candles in live mode). */
export interface PredictionRequest {
  asOf: number;
  inputs: PredictionInputs;
}

export type PredictionOutcome = { ok: true; prediction: RegimePrediction } | { ok: false; error: Error };

const FIVE_MINUTES = 300_000;

/**
 * Closed candles per interval a prediction needs before T: one window's warm-up plus the candles of
 * the earliest window the decision layer may read (MAX_DECISION_SPAN_MINUTES before T). Fixed, not
 * per model, so the candles behind a row never depend on which model was loaded when they were read.
 */
export function historyWarmup(): Record<FeatureInterval, number> {
  const warmup = warmupCandles();
  const spanMs = MAX_DECISION_SPAN_MINUTES * 60_000;
  return Object.fromEntries(
    FEATURE_INTERVALS.map((i) => [i, warmup[i] + Math.ceil(spanMs / INTERVAL_MS[i])]),
  ) as Record<FeatureInterval, number>;
}

/**
 * The as-of instants of the windows the decision layer reads for T, oldest first, T last. The
 * earlier ones are official instants (5-minute boundaries), so in live mode they are the official
 * windows before T.
 */
export function decisionInstants(model: RegimeModel, asOf: number): number[] {
  const { windows, spacingMinutes } = model.decision;
  const anchor = Math.floor(asOf / FIVE_MINUTES) * FIVE_MINUTES;
  const out: number[] = [];
  for (let j = windows - 1; j >= 1; j--) out.push(anchor - j * spacingMinutes * 60_000);
  out.push(asOf);
  return out;
}

/** The warm-up slice closed by `asOf`: what the predictor would have passed for that instant. */
function historyAsOf(history: CandleSeries, asOf: number): CandleSeries {
  const warmup = warmupCandles();
  const out = {} as CandleSeries;
  for (const interval of FEATURE_INTERVALS) {
    const ms = INTERVAL_MS[interval];
    const closed: Candle[] = history[interval].filter((c) => c.openTime + ms <= asOf);
    out[interval] = closed.slice(-warmup[interval]);
  }
  return out;
}

/**
 * The windows of one request, oldest first, the newest at T. T's window is built from the request's
 * own warm-up slice (plus its live candles); an earlier one that cannot be built (a gap, the start of
 * the data) drops it and everything older, so the decision reads the newest contiguous windows.
 */
function requestWindows(model: RegimeModel, request: PredictionRequest): FeatureWindow[] {
  const { asOf, inputs } = request;
  const instants = decisionInstants(model, asOf);
  const newest = featureWindow(
    historyAsOf(inputs.history, asOf),
    asOf,
    inputs.live ? { live: inputs.live } : {},
  );
  const earlier: FeatureWindow[] = [];
  for (let k = instants.length - 2; k >= 0; k--) {
    try {
      earlier.unshift(featureWindow(historyAsOf(inputs.history, instants[k]!), instants[k]!));
    } catch {
      break;
    }
  }
  return [...earlier, newest];
}

/**
 * history → feature windows → model → decision layer, for many requests with one model call. The
 * only place that turns candles into a regime: the BullMQ worker, the console and the backtest all
 * call it, so a row in regime_predictions, a line on the console and a backtest position are the same
 * computation. A request whose window cannot be built (FeatureError) fails alone; the others still get
 * their prediction.
 */
export async function predictRegimes(
  model: RegimeModel,
  requests: readonly PredictionRequest[],
): Promise<PredictionOutcome[]> {
  const outcomes: PredictionOutcome[] = new Array(requests.length);
  const windows: FeatureWindow[] = [];
  /** Per built request: its position and how many windows it has in `windows`. */
  const built: { position: number; from: number; count: number }[] = [];
  for (let i = 0; i < requests.length; i++) {
    try {
      const own = requestWindows(model, requests[i]!);
      built.push({ position: i, from: windows.length, count: own.length });
      windows.push(...own);
    } catch (error) {
      outcomes[i] = { ok: false, error: error as Error };
    }
  }
  if (windows.length === 0) return outcomes;
  const answers = await answerAll(model, windows);
  for (const { position, from, count } of built) {
    const own = answers.slice(from, from + count);
    const newest = own[own.length - 1]!;
    // A refused earlier window cuts the rows there, as a missing one does; a refused T fails the request.
    const lastRefused = own.findLastIndex((a) => a instanceof Error);
    outcomes[position] =
      newest instanceof Error
        ? { ok: false, error: newest }
        : {
            ok: true,
            prediction: decidePrediction(model.decision, own.slice(lastRefused + 1) as RegimePrediction[]),
          };
  }
  return outcomes;
}

/** The model's answer per window, in one call; if it refuses the batch, window by window. */
async function answerAll(
  model: RegimeModel,
  windows: readonly FeatureWindow[],
): Promise<(RegimePrediction | Error)[]> {
  try {
    return await model.predict(windows);
  } catch (error) {
    // The model refuses a whole batch for one bad window (e.g. a non-finite feature): find it, keep the rest.
    if (windows.length === 1) return [error as Error];
    const out: (RegimePrediction | Error)[] = [];
    for (const window of windows) {
      try {
        out.push((await model.predict([window]))[0]!);
      } catch (single) {
        out.push(single as Error);
      }
    }
    return out;
  }
}
