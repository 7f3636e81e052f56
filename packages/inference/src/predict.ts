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

/** What a window gave: the model's answer, or why there is none (it could not be built, or was refused). */
type WindowAnswer = RegimePrediction | Error;

/**
 * Answers of official windows already computed, for a caller that predicts many instants of one
 * symbol from one fixed candle history (the backtest): in a walk-forward every earlier window the
 * decision layer reads for T is the newest window of an earlier instant, so without it each window
 * would be built and answered `decision.windows` times. Keyed by the as-of instant and the exact
 * candle slice the window is built from, so a hit is the same computation. Never shared between
 * symbols, models or candle sources; the predictor passes none.
 */
export type WindowCache = Map<string, WindowAnswer>;

/** One window of a request: answered already (from the cache), or to be answered. */
interface WindowSlot {
  key: string | undefined;
  window?: FeatureWindow;
  answer?: WindowAnswer;
}

function sliceKey(asOf: number, slice: CandleSeries): string {
  let key = String(asOf);
  for (const interval of FEATURE_INTERVALS) {
    const rows = slice[interval];
    key += `|${rows[0]?.openTime ?? ''}+${rows.length}`;
  }
  return key;
}

/**
 * The windows of one request, oldest first, the newest at T. T's window is built from the request's
 * own warm-up slice (plus its live candles); an earlier one that cannot be built (a gap, the start of
 * the data) drops it and everything older, so the decision reads the newest contiguous windows.
 * With a cache, a window without live candles is looked up first (a cached failure drops it and
 * everything older, as a failure does); T's own failure throws.
 */
function requestWindows(
  model: RegimeModel,
  request: PredictionRequest,
  cache?: { answers: WindowCache; pending: Map<string, WindowSlot> },
): WindowSlot[] {
  const { asOf, inputs } = request;
  const instants = decisionInstants(model, asOf);
  const slot = (at: number, live: boolean): WindowSlot => {
    const slice = historyAsOf(inputs.history, at);
    const key = cache && !live ? sliceKey(at, slice) : undefined;
    if (key !== undefined) {
      const cached = cache!.answers.get(key);
      if (cached instanceof Error) throw cached;
      if (cached !== undefined) return { key, answer: cached };
      // Built for an earlier request of the same call: answered once, shared.
      const pending = cache!.pending.get(key);
      if (pending) return pending;
    }
    let built: WindowSlot;
    try {
      built = { key, window: featureWindow(slice, at, live && inputs.live ? { live: inputs.live } : {}) };
    } catch (error) {
      if (key !== undefined) cache!.answers.set(key, error as Error);
      throw error;
    }
    if (key !== undefined) cache!.pending.set(key, built);
    return built;
  };
  const newest = slot(asOf, inputs.live !== undefined);
  const earlier: WindowSlot[] = [];
  for (let k = instants.length - 2; k >= 0; k--) {
    try {
      earlier.unshift(slot(instants[k]!, false));
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
 * their prediction. `windowCache` (see WindowCache) only saves work: the outcomes are the same.
 */
export async function predictRegimes(
  model: RegimeModel,
  requests: readonly PredictionRequest[],
  options: { windowCache?: WindowCache } = {},
): Promise<PredictionOutcome[]> {
  const cache = options.windowCache && {
    answers: options.windowCache,
    pending: new Map<string, WindowSlot>(),
  };
  const outcomes: PredictionOutcome[] = new Array(requests.length);
  const windows: FeatureWindow[] = [];
  const toAnswer: WindowSlot[] = [];
  const queued = new Set<WindowSlot>();
  /** Per built request: its position and its windows, oldest first. */
  const built: { position: number; slots: WindowSlot[] }[] = [];
  for (let i = 0; i < requests.length; i++) {
    try {
      const slots = requestWindows(model, requests[i]!, cache);
      built.push({ position: i, slots });
      for (const s of slots) {
        if (s.window && !queued.has(s)) {
          queued.add(s);
          windows.push(s.window);
          toAnswer.push(s);
        }
      }
    } catch (error) {
      outcomes[i] = { ok: false, error: error as Error };
    }
  }
  if (built.length === 0) return outcomes;
  const answers = windows.length > 0 ? await answerAll(model, windows) : [];
  toAnswer.forEach((s, k) => {
    s.answer = answers[k]!;
    if (s.key !== undefined) cache!.answers.set(s.key, s.answer);
  });
  for (const { position, slots } of built) {
    const own = slots.map((s) => s.answer!);
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
