import { type Candle, INTERVAL_MS, indexOfOpen } from '@regime/candles';
import { featureWindow, warmupCandles } from '@regime/features';
import {
  BASE_INTERVAL_MS,
  barCloseAt,
  DEFAULT_LABELER_PARAMS,
  type LabelerParams,
  labelerViewAsOf,
  ViewCache,
  viewCandles,
} from '@regime/labeler';
import {
  decidePrediction,
  MAX_DECISION_SPAN_MINUTES,
  type ModelInput,
  type RegimeModel,
  type RegimePrediction,
} from '@regime/model/runtime';
import {
  type CandleSeries,
  FEATURE_INTERVALS,
  type FeatureInterval,
  type PredictionInputs,
} from './inputs.ts';

/** What an input gave: the model's answer, or why there is none (it could not be built, or was refused). */
type WindowAnswer = RegimePrediction | Error;

/**
 * What a caller that predicts one symbol again and again keeps between calls (the predictor per
 * symbol, the backtest per walk): the labeler view's per-bar evidence, so a new instant computes one
 * new bar instead of 17 days of them, and the model's answers for official instants, which the
 * decision layer reads again as the earlier windows of later instants. Both are exact: an answer is
 * keyed by its instant and the exact candles it is built from, and closed candles never change. Never
 * share one between symbols or models.
 */
export class SymbolCaches {
  readonly views = new ViewCache();
  readonly answers = new Map<string, { asOf: number; answer: WindowAnswer }>();

  /** Forgets what no prediction as of `asOf` or later reads. */
  forgetBefore(asOf: number): void {
    const oldestWindow = asOf - MAX_DECISION_SPAN_MINUTES * 60_000;
    this.views.forgetBefore(
      barCloseAt(oldestWindow) - viewCandles(DEFAULT_LABELER_PARAMS) * BASE_INTERVAL_MS,
    );
    for (const [key, entry] of this.answers) if (entry.asOf < oldestWindow) this.answers.delete(key);
  }
}

/** One "as of T" question: candles known at T (plus live candles in live mode), and the symbol's caches. */
export interface PredictionRequest {
  asOf: number;
  inputs: PredictionInputs;
  caches?: SymbolCaches;
}

export type PredictionOutcome = { ok: true; prediction: RegimePrediction } | { ok: false; error: Error };

/**
 * CPU milliseconds of this process per stage of predictRegimes, added to by each call that is given
 * it (process.cpuUsage around synchronous work: what the stage costs, not how long it waited for a core).
 */
export interface StageTimes {
  /** Feature windows. */
  features: number;
  /** The labeler's view (evidence of new bars, forward recursion, bar rows). */
  view: number;
  /** Scaling, the network, the decision layer. */
  model: number;
}

const FIVE_MINUTES = 300_000;

/** CPU time of this process so far, in milliseconds. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Closed candles per interval a prediction needs before T: one window's warm-up (for 5m, the longer
 * of the features' warm-up and the labeler view's span) plus the candles of the earliest window the
 * decision layer may read (MAX_DECISION_SPAN_MINUTES before T). Fixed, not per model, so the candles
 * behind a row never depend on which model was loaded when they were read.
 */
export function historyWarmup(): Record<FeatureInterval, number> {
  const warmup = { ...warmupCandles() };
  warmup['5m'] = Math.max(warmup['5m'], viewCandles(DEFAULT_LABELER_PARAMS));
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

/** The features' warm-up slice closed by `asOf`: what the predictor would have passed for that instant. */
function historyAsOf(history: CandleSeries, asOf: number): CandleSeries {
  const warmup = warmupCandles();
  const out = {} as CandleSeries;
  for (const interval of FEATURE_INTERVALS) {
    const ms = INTERVAL_MS[interval];
    const rows = history[interval];
    // Candles are sorted by open time: the closed ones by `asOf` are a prefix.
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid]!.openTime + ms <= asOf) lo = mid + 1;
      else hi = mid;
    }
    out[interval] = rows.slice(Math.max(0, lo - warmup[interval]), lo);
  }
  return out;
}

/**
 * What the model reads as of `at` from a symbol's candles: the feature window of the features'
 * warm-up slice closed by `at` (plus the live candles, in live mode) and the labeler's view. Throws
 * FeatureError or LabelerViewError when the candles do not hold it.
 */
export function modelInputAt(
  history: CandleSeries,
  at: number,
  params: LabelerParams,
  options: { live?: PredictionInputs['live']; views?: ViewCache; times?: StageTimes } = {},
): ModelInput {
  const t0 = options.times ? cpuMs() : 0;
  const window = featureWindow(historyAsOf(history, at), at, options.live ? { live: options.live } : {});
  const t1 = options.times ? cpuMs() : 0;
  const view = labelerViewAsOf(history['5m'], at, params, options.views);
  if (options.times) {
    options.times.features += t1 - t0;
    options.times.view += cpuMs() - t1;
  }
  return { window, view };
}

/**
 * The key of an answer: its instant, the feature slice it is built from (first open time and count per
 * interval), and whether the labeler view's span is complete in the history (its values are then
 * fixed: a function of closed candles only).
 */
function answerKey(
  asOf: number,
  slice: CandleSeries,
  history5m: readonly Candle[],
  spanCandles: number,
): string {
  let key = String(asOf);
  for (const interval of FEATURE_INTERVALS) {
    const rows = slice[interval];
    key += `|${rows[0]?.openTime ?? ''}+${rows.length}`;
  }
  const close = barCloseAt(asOf);
  const last = indexOfOpen(history5m, close - BASE_INTERVAL_MS);
  const complete =
    last >= spanCandles - 1 &&
    history5m[last - spanCandles + 1]!.openTime === close - spanCandles * BASE_INTERVAL_MS;
  return `${key}|view${complete ? '' : '-incomplete'}`;
}

/** One window of a request: answered already (from the cache), or to be answered. */
interface WindowSlot {
  key: string | undefined;
  asOf: number;
  input?: ModelInput;
  answer?: WindowAnswer;
}

/**
 * The windows of one request, oldest first, the newest at T. T's window is built from the request's
 * own warm-up slice (plus its live candles); an earlier one that cannot be built (a gap, the start of
 * the data) drops it and everything older, so the decision reads the newest contiguous windows.
 * With caches, an official window is looked up first (a cached failure drops it and everything
 * older, as a failure does); T's own failure throws.
 */
function requestWindows(
  model: RegimeModel,
  request: PredictionRequest,
  pending: Map<SymbolCaches, Map<string, WindowSlot>>,
  times: StageTimes | undefined,
): WindowSlot[] {
  const { asOf, inputs, caches } = request;
  const params = model.metadata.labeler.params;
  const spanCandles = viewCandles(params);
  const instants = decisionInstants(model, asOf);
  const slot = (at: number, live: boolean): WindowSlot => {
    const slice = historyAsOf(inputs.history, at);
    const key = caches && !live ? answerKey(at, slice, inputs.history['5m'], spanCandles) : undefined;
    const shared = caches ? pending.get(caches) : undefined;
    if (key !== undefined) {
      const cached = caches!.answers.get(key);
      if (cached?.answer instanceof Error) throw cached.answer;
      if (cached !== undefined) return { key, asOf: at, answer: cached.answer };
      // Built for an earlier request of the same call: answered once, shared.
      const built = shared?.get(key);
      if (built) return built;
    }
    let built: WindowSlot;
    try {
      const options = {
        ...(live && inputs.live ? { live: inputs.live } : {}),
        ...(caches ? { views: caches.views } : {}),
        ...(times ? { times } : {}),
      };
      built = { key, asOf: at, input: modelInputAt(inputs.history, at, params, options) };
    } catch (error) {
      if (key !== undefined) caches!.answers.set(key, { asOf: at, answer: error as Error });
      throw error;
    }
    if (key !== undefined) shared!.set(key, built);
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
 * history → feature windows and labeler views → model → decision layer, for many requests with one
 * model call. The only place that turns candles into a regime: the BullMQ worker, the console and
 * the backtest all call it, so a row in regime_predictions, a line on the console and a backtest
 * position are the same computation. A request whose inputs cannot be built (FeatureError,
 * LabelerViewError) fails alone; the others still get their prediction. The caches only save work:
 * the outcomes are the same with or without them.
 */
export async function predictRegimes(
  model: RegimeModel,
  requests: readonly PredictionRequest[],
  options: { times?: StageTimes } = {},
): Promise<PredictionOutcome[]> {
  const { times } = options;
  const pending = new Map<SymbolCaches, Map<string, WindowSlot>>();
  for (const r of requests) if (r.caches && !pending.has(r.caches)) pending.set(r.caches, new Map());
  const outcomes: PredictionOutcome[] = new Array(requests.length);
  const inputs: ModelInput[] = [];
  const toAnswer: { slot: WindowSlot; caches: SymbolCaches | undefined }[] = [];
  const queued = new Set<WindowSlot>();
  /** Per built request: its position and its windows, oldest first. */
  const built: { position: number; slots: WindowSlot[] }[] = [];
  for (let i = 0; i < requests.length; i++) {
    try {
      const slots = requestWindows(model, requests[i]!, pending, times);
      built.push({ position: i, slots });
      for (const s of slots) {
        if (s.input && !queued.has(s)) {
          queued.add(s);
          inputs.push(s.input);
          toAnswer.push({ slot: s, caches: requests[i]!.caches });
        }
      }
    } catch (error) {
      outcomes[i] = { ok: false, error: error as Error };
    }
  }
  if (built.length === 0) return outcomes;
  const modelStart = times ? cpuMs() : 0;
  const answers = inputs.length > 0 ? await answerAll(model, inputs) : [];
  toAnswer.forEach(({ slot, caches }, k) => {
    slot.answer = answers[k]!;
    if (slot.key !== undefined) caches!.answers.set(slot.key, { asOf: slot.asOf, answer: slot.answer });
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
  if (times) times.model += cpuMs() - modelStart;
  return outcomes;
}

/** The model's answer per input, in one call; if it refuses the batch, input by input. */
async function answerAll(model: RegimeModel, inputs: readonly ModelInput[]): Promise<WindowAnswer[]> {
  try {
    return await model.predict(inputs);
  } catch (error) {
    // The model refuses a whole batch for one bad input (e.g. a non-finite feature): find it, keep the rest.
    if (inputs.length === 1) return [error as Error];
    const out: WindowAnswer[] = [];
    for (const input of inputs) {
      try {
        out.push((await model.predict([input]))[0]!);
      } catch (single) {
        out.push(single as Error);
      }
    }
    return out;
  }
}
