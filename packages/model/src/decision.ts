import { REGIME_COUNT } from '@regime/labeler';
import { macroF1 } from './metrics.ts';
import { detectionDelay, type SampleClock, switchesPerDay } from './stability.ts';

/**
 * The decision layer: the written regime of T is a hysteresis over the model's answers for the last
 * `windows` instants T − j × spacing (j = windows − 1 … 0). It starts from the argmax of the oldest
 * and moves to another regime only when that regime's probability exceeds the probability of the
 * regime written so far by at least `margin`. The model's probabilities at T are already a nowcast
 * of everything up to T, so they are not summed over instants (which would count the same evidence
 * again and delay every switch); a margin keeps a regime through the near-ties on which an argmax
 * flips back and forth.
 *
 * All of its state comes from the row's own inputs (the answers for windows built from the candles
 * known at T), never from process memory, so recomputing a row for the same (symbol, T) gives the
 * same row. With one window, or a margin of 0, it is the argmax.
 */
export interface DecisionRule {
  /** How many windows, the newest at T. */
  windows: number;
  /** Minutes between consecutive windows. */
  spacingMinutes: number;
  /** Probability by which another regime must beat the written one to replace it. */
  margin: number;
}

export const ARGMAX_RULE: DecisionRule = { windows: 1, spacingMinutes: 15, margin: 0 };

/**
 * The oldest window a rule may read, in minutes before T. The predictor always loads this much more
 * history than one window needs, so a row never depends on which model happened to be loaded when
 * its candles were read; artifacts with a longer rule are refused.
 */
export const MAX_DECISION_SPAN_MINUTES = 480;

export function decisionSpanMinutes(rule: DecisionRule): number {
  return (rule.windows - 1) * rule.spacingMinutes;
}

function argmaxAt(p: ArrayLike<number>, from: number): number {
  let best = 0;
  for (let s = 1; s < REGIME_COUNT; s++) if (p[from + s]! > p[from + best]!) best = s;
  return best;
}

/**
 * The decided regime index from `rows` rows of probabilities (rows × 6, oldest first, the newest at
 * T). Fewer rows than the rule's windows are allowed (the start of the data, a gap): the rule is
 * applied to what there is.
 */
export function decideRegime(probabilities: ArrayLike<number>, rows: number, rule: DecisionRule): number {
  if (rows < 1 || probabilities.length < rows * REGIME_COUNT) {
    throw new Error(`the decision needs at least one row of ${REGIME_COUNT} probabilities`);
  }
  const from = probabilities.length - rows * REGIME_COUNT;
  let written = argmaxAt(probabilities, from);
  for (let r = 1; r < rows; r++) {
    const o = from + r * REGIME_COUNT;
    const best = argmaxAt(probabilities, o);
    if (probabilities[o + best]! - probabilities[o + written]! > rule.margin) written = best;
  }
  return written;
}

/**
 * The decided regime of every sample of an evaluation set, each from the samples of its own symbol
 * at T − j × spacing (as the predictor builds them). The set must hold those instants: its stride
 * must divide the spacing. A missing earlier instant (a gap) cuts the rows there.
 */
export function decideSamples(
  probabilities: ArrayLike<number>,
  clock: SampleClock,
  rule: DecisionRule,
): Uint8Array {
  const n = clock.asOf.length;
  const spacingMs = rule.spacingMinutes * 60_000;
  if (rule.windows > 1 && spacingMs % clock.strideMs !== 0) {
    throw new Error(
      `the decision layer reads windows ${rule.spacingMinutes} min apart: evaluate with a stride that divides it (5 or 15 min), not ${clock.strideMs / 60_000}`,
    );
  }
  // Samples are sorted by symbol and time, so the instant j × spacing back is usually j × step rows
  // back; the map answers where a gap shifted the rows.
  const step = spacingMs / clock.strideMs;
  let index: Map<string, number> | undefined;
  const lookup = (i: number, j: number): number | undefined => {
    const at = clock.asOf[i]! - j * spacingMs;
    const guess = i - j * step;
    if (guess >= 0 && clock.asOf[guess] === at && clock.symbolIndex[guess] === clock.symbolIndex[i])
      return guess;
    if (!index) {
      index = new Map();
      for (let k = 0; k < n; k++) index.set(`${clock.symbolIndex[k]}:${clock.asOf[k]}`, k);
    }
    return index.get(`${clock.symbolIndex[i]}:${at}`);
  };
  const out = new Uint8Array(n);
  const rows = new Float64Array(rule.windows * REGIME_COUNT);
  const picked: number[] = [];
  for (let i = 0; i < n; i++) {
    picked.length = 0;
    for (let j = 0; j < rule.windows; j++) {
      const k = j === 0 ? i : lookup(i, j);
      if (k === undefined) break;
      picked.push(k);
    }
    const count = picked.length;
    for (let r = 0; r < count; r++) {
      const k = picked[count - 1 - r]!;
      for (let s = 0; s < REGIME_COUNT; s++)
        rows[r * REGIME_COUNT + s] = probabilities[k * REGIME_COUNT + s]!;
    }
    out[i] = decideRegime(rows.subarray(0, count * REGIME_COUNT), count, rule);
  }
  return out;
}

/** One setting of the decision layer, scored on a labelled set. */
export interface DecisionScore {
  windows: number;
  margin: number;
  macroF1: number;
  switchesPerDay: number;
  medianDelayMinutes: number | null;
}

export interface DecisionTuning {
  rule: DecisionRule;
  /** The limit the choice respected: 1.5 × the labels' switches per day on the validation set. */
  switchLimit: number;
  /** Validation macro-F1 and switches per day of the plain argmax and of the chosen rule. */
  argmax: { macroF1: number; switchesPerDay: number };
  chosen: { macroF1: number; switchesPerDay: number };
  /** Every setting tried, on validation: the whole trade-off. */
  grid: DecisionScore[];
}

/** The settings tuned on validation (and scored again on test by `evaluate`, for the card's trade-off table). */
export const DECISION_GRID = {
  windows: [8, 16, 32],
  margins: [0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8],
  spacingMinutes: 15,
} as const;

/** A regime that switches more than this times the labels' rate is too restless to gate a strategy on. */
export const SWITCH_LIMIT_FACTOR = 1.5;

type Grid = { windows: readonly number[]; margins: readonly number[]; spacingMinutes: number };

/** The samples `scored` of a set (all when undefined): a lead-in before a period is decided on, not scored. */
export function scoredSubset<T extends ArrayLike<number>>(
  values: T,
  scored?: ArrayLike<number>,
): T | number[] {
  return scored ? Array.from(scored, (i) => values[i]!) : values;
}

/**
 * Scores the argmax and every grid setting on a labelled set. Every sample is decided (earlier ones
 * are the decision's earlier windows); only `scored` ones (default: all) are scored.
 */
export function scoreDecisionGrid(
  probabilities: ArrayLike<number>,
  labels: Uint8Array,
  clock: SampleClock,
  grid: Grid = DECISION_GRID,
  scored?: ArrayLike<number>,
): DecisionScore[] {
  const truth = scoredSubset(labels, scored);
  const scoredClock: SampleClock = {
    asOf: scoredSubset(clock.asOf, scored),
    symbolIndex: scoredSubset(clock.symbolIndex, scored),
    strideMs: clock.strideMs,
  };
  const score = (rule: DecisionRule): DecisionScore => {
    const predicted = scoredSubset(decideSamples(probabilities, clock, rule), scored);
    return {
      windows: rule.windows,
      margin: rule.margin,
      macroF1: macroF1(truth, predicted),
      switchesPerDay: switchesPerDay(scoredClock, predicted),
      medianDelayMinutes: detectionDelay(scoredClock, truth, predicted).medianMinutes,
    };
  };
  const out = [score({ ...ARGMAX_RULE, spacingMinutes: grid.spacingMinutes })];
  // A set too sparse to hold the earlier windows can only score the argmax.
  if ((grid.spacingMinutes * 60_000) % clock.strideMs !== 0) return out;
  for (const windows of grid.windows) {
    if (
      decisionSpanMinutes({ windows, spacingMinutes: grid.spacingMinutes, margin: 0 }) >
      MAX_DECISION_SPAN_MINUTES
    )
      continue;
    for (const margin of grid.margins)
      out.push(score({ windows, spacingMinutes: grid.spacingMinutes, margin }));
  }
  return out;
}

/**
 * Picks the rule on the validation set: the best macro-F1 among the settings whose switches per day
 * stay within SWITCH_LIMIT_FACTOR × the labels' (ties: fewer switches, then fewer windows). When no
 * setting is calm enough, the calmest one, and the card says so.
 */
export function tuneDecisionRule(
  probabilities: ArrayLike<number>,
  labels: Uint8Array,
  clock: SampleClock,
  scored?: ArrayLike<number>,
  grid: Grid = DECISION_GRID,
): DecisionTuning {
  const spacingMinutes = grid.spacingMinutes;
  const scores = scoreDecisionGrid(probabilities, labels, clock, grid, scored);
  const switchLimit =
    SWITCH_LIMIT_FACTOR *
    switchesPerDay(
      {
        asOf: scoredSubset(clock.asOf, scored),
        symbolIndex: scoredSubset(clock.symbolIndex, scored),
        strideMs: clock.strideMs,
      },
      scoredSubset(labels, scored),
    );
  const calm = scores.filter((s) => s.switchesPerDay <= switchLimit);
  const chosen =
    calm.length > 0
      ? calm.reduce((a, b) =>
          b.macroF1 > a.macroF1 ||
          (b.macroF1 === a.macroF1 &&
            (b.switchesPerDay < a.switchesPerDay ||
              (b.switchesPerDay === a.switchesPerDay && b.windows < a.windows)))
            ? b
            : a,
        )
      : scores.reduce((a, b) => (b.switchesPerDay < a.switchesPerDay ? b : a));
  const argmax = scores[0]!;
  return {
    rule: { windows: chosen.windows, spacingMinutes, margin: chosen.margin },
    switchLimit,
    argmax: { macroF1: argmax.macroF1, switchesPerDay: argmax.switchesPerDay },
    chosen: { macroF1: chosen.macroF1, switchesPerDay: chosen.switchesPerDay },
    grid: scores,
  };
}
