import type { Candle } from '@regime/candles';
import { closeLookup, forwardOutcome, type LabelerParams, settledLabel, settleWindow } from '@regime/labeler';
import type { Next4h, OutcomeRow, PredictionRow, RegimeId } from '@regime/questdb';

/** An official prediction that has no outcome yet, and why. */
export interface Pending {
  prediction: PredictionRow;
  settledAt: number;
  /**
   * settling: T + settle has not closed yet. late: settled, but candles of its window are missing
   * (the collector's gap fill may still bring them). missed: still missing SCORE_GIVE_UP_MS after
   * settling: recorded once in pipeline_events, then left alone.
   */
  state: 'settling' | 'late' | 'missed';
  detail?: string;
}

export interface ScoreResult {
  outcomes: OutcomeRow[];
  pending: Pending[];
}

/** The 5m candles (open times [from, to)) the settled labels of these instants need. */
export function candleRangeFor(
  asOfs: readonly number[],
  params: LabelerParams,
): { from: number; to: number } {
  if (asOfs.length === 0) throw new Error('no instants');
  const windows = asOfs.map((t) => settleWindow(t, params));
  return {
    from: Math.min(...windows.map((w) => w.fromOpenTime)),
    to: Math.max(...windows.map((w) => w.toOpenTime)),
  };
}

/**
 * What the 4 hours after T did, from closes inside T's settle window (15 days before T to T + 4 h:
 * the window spans both), so the columns are as reproducible as the realised regime. Null when a
 * ratio is undefined (no movement at all in the trailing 15 days) or T is off the 5-minute grid.
 */
export function next4hOf(asOf: number, closeAt: (closeTime: number) => number | undefined): Next4h | null {
  if (asOf % FIVE_MINUTES_MS !== 0) return null;
  const o = forwardOutcome(asOf, closeAt);
  if (!o || !Number.isFinite(o.volRatio)) return null;
  return { volRatio: o.volRatio, efficiency: o.efficiency, return: o.forwardReturn };
}

const FIVE_MINUTES_MS = 300_000;

/**
 * Scores official predictions that have no outcome yet, as of `now`: each prediction whose settle
 * window has closed gets its outcome row from the settled label of its instant (computed from
 * `candles5m`, closed 5m candles sorted by open time). Pure: the same predictions and candles give
 * the same rows whatever `now` is, once settled.
 */
export function scorePredictions(
  predictions: readonly PredictionRow[],
  candles5m: readonly Candle[],
  now: number,
  options: { params: LabelerParams; labelerVersion: string; giveUpMs: number },
): ScoreResult {
  const outcomes: OutcomeRow[] = [];
  const pending: Pending[] = [];
  // The instants of one 15-minute bar share their window and so their settled label: label each bar once.
  const labels = new Map<number, ReturnType<typeof settledLabel>>();
  const closeAt = closeLookup(candles5m);
  for (const prediction of predictions) {
    const { settledAt } = settleWindow(prediction.ts, options.params);
    if (now < settledAt) {
      pending.push({ prediction, settledAt, state: 'settling' });
      continue;
    }
    const bar = settleWindow(prediction.ts, options.params).fromOpenTime;
    let label = labels.get(bar);
    if (!label) {
      label = settledLabel(candles5m, prediction.ts, options.params);
      labels.set(bar, label);
    }
    if (label.kind === 'missing_candles') {
      const state = now >= settledAt + options.giveUpMs ? 'missed' : 'late';
      pending.push({ prediction, settledAt, state, detail: label.detail });
      continue;
    }
    const predicted = prediction.regime as RegimeId;
    outcomes.push({
      ts: prediction.ts,
      symbol: prediction.symbol,
      modelVersion: prediction.modelVersion,
      predicted,
      probabilities: { ...prediction.probabilities },
      realised: label.regime,
      correct: predicted === label.regime,
      settledAt,
      labelerVersion: options.labelerVersion,
      next4h: next4hOf(prediction.ts, closeAt),
    });
  }
  return { outcomes, pending };
}
