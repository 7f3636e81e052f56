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
  /**
   * The candle series the inputs come from (e.g. the symbol). Requests of one series in one call share
   * the official windows they have in common; the series must identify the candles, never reuse it
   * for different candles within a call.
   */
  series?: string;
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
 * Windows built during one call, so a window several requests read (the decision layer's earlier
 * windows are the official windows of earlier instants) is built and answered once. Keyed by the
 * request's `series` and the instant; requests without a series share nothing.
 */
class WindowPool {
  readonly windows: FeatureWindow[] = [];
  private readonly built = new Map<string, number | Error>();

  /** Index of the window in `windows`, or the error that prevented building it. */
  get(key: string | undefined, build: () => FeatureWindow): number | Error {
    const known = key === undefined ? undefined : this.built.get(key);
    if (known !== undefined) return known;
    let result: number | Error;
    try {
      result = this.windows.push(build()) - 1;
    } catch (error) {
      result = error as Error;
    }
    if (key !== undefined) this.built.set(key, result);
    return result;
  }
}

/**
 * The windows of one request as indexes into the pool, oldest first, the newest at T. T's window is
 * built from the request's own warm-up slice (plus its live candles); an earlier one that cannot be
 * built (a gap, the start of the data) drops it and everything older, so the decision reads the
 * newest contiguous windows. Throws when T's own window cannot be built.
 */
function requestWindows(model: RegimeModel, request: PredictionRequest, pool: WindowPool): number[] {
  const { asOf, inputs, series } = request;
  const instants = decisionInstants(model, asOf);
  const officialKey = (t: number) => (series === undefined ? undefined : `${series}@${t}`);
  // A live window includes candles still in progress: it is never shared.
  const newest = pool.get(inputs.live ? undefined : officialKey(asOf), () =>
    featureWindow(historyAsOf(inputs.history, asOf), asOf, inputs.live ? { live: inputs.live } : {}),
  );
  if (newest instanceof Error) throw newest;
  const out = [newest];
  for (let k = instants.length - 2; k >= 0; k--) {
    const t = instants[k]!;
    const earlier = pool.get(officialKey(t), () => featureWindow(historyAsOf(inputs.history, t), t));
    if (earlier instanceof Error) break;
    out.unshift(earlier);
  }
  return out;
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
  const pool = new WindowPool();
  /** Per built request: its position and its windows' indexes in the pool. */
  const built: { position: number; windows: number[] }[] = [];
  for (let i = 0; i < requests.length; i++) {
    try {
      built.push({ position: i, windows: requestWindows(model, requests[i]!, pool) });
    } catch (error) {
      outcomes[i] = { ok: false, error: error as Error };
    }
  }
  if (pool.windows.length === 0) return outcomes;
  const answers = await answerAll(model, pool.windows);
  for (const { position, windows } of built) {
    const own = windows.map((k) => answers[k]!);
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
