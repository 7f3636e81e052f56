import { filterStates, REGIME_COUNT } from '@regime/labeler';
import { macroF1 } from './metrics.ts';
import { type SampleClock, switchesPerDay } from './stability.ts';

/**
 * The decision layer: the written regime of T is the causal segmentation (segmentation.ts,
 * `filterStates`) of the model's own answers for the last `windows` instants T − j × spacing
 * (j = windows − 1 … 0), with cost −ln p and a switching cost. It keeps a regime through a window or
 * two of disagreement instead of flipping on every borderline answer. All of its state comes from
 * the row's own inputs (the probabilities of windows built from the candles known at T), never from
 * process memory, so recomputing a row for the same (symbol, T) gives the same row. With one window
 * it is the argmax.
 */
export interface DecisionRule {
  /** How many windows, the newest at T. */
  windows: number;
  /** Minutes between consecutive windows. */
  spacingMinutes: number;
  /** Switching cost, in units of −ln p. */
  switchCost: number;
}

export const ARGMAX_RULE: DecisionRule = { windows: 1, spacingMinutes: 15, switchCost: 0 };

/**
 * The oldest window a rule may read, in minutes before T. The predictor always loads this much more
 * history than one window needs, so a row never depends on which model happened to be loaded when
 * its candles were read; artifacts with a longer rule are refused.
 */
export const MAX_DECISION_SPAN_MINUTES = 45;

export function decisionSpanMinutes(rule: DecisionRule): number {
  return (rule.windows - 1) * rule.spacingMinutes;
}

/** Probabilities below this count as this: one near-zero answer must not cost infinitely much. */
const FLOOR = 1e-6;

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
  const costs = new Float64Array(rows * REGIME_COUNT);
  for (let i = 0; i < costs.length; i++) costs[i] = -Math.log(Math.max(probabilities[from + i]!, FLOOR));
  const states = filterStates({ costs, states: REGIME_COUNT }, rule.switchCost);
  return states[rows - 1]!;
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
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(`${clock.symbolIndex[i]}:${clock.asOf[i]}`, i);
  const out = new Uint8Array(n);
  const rows = new Float64Array(rule.windows * REGIME_COUNT);
  for (let i = 0; i < n; i++) {
    let count = 0;
    const picked: number[] = [];
    for (let j = 0; j < rule.windows; j++) {
      const k = index.get(`${clock.symbolIndex[i]}:${clock.asOf[i]! - j * spacingMs}`);
      if (k === undefined) break;
      picked.push(k);
      count++;
    }
    picked.reverse().forEach((k, r) => {
      for (let s = 0; s < REGIME_COUNT; s++)
        rows[r * REGIME_COUNT + s] = probabilities[k * REGIME_COUNT + s]!;
    });
    out[i] = decideRegime(rows.subarray(0, count * REGIME_COUNT), count, rule);
  }
  return out;
}

export interface DecisionTuning {
  rule: DecisionRule;
  /** Validation macro-F1 and switches per day of the plain argmax and of the chosen rule. */
  argmax: { macroF1: number; switchesPerDay: number };
  chosen: { macroF1: number; switchesPerDay: number };
}

/**
 * How much validation macro-F1 the decision layer may give up for fewer switches. A gate that flips
 * a third less often is worth half a point of macro-F1 to a strategy that pays fees on every flip; on
 * the shipped model's validation set 0.002 kept the argmax (14 switches a day) and 0.005 takes 4
 * windows with switching cost 0.5 (9.6 a day, −0.004 macro-F1; MODEL_CARD.md).
 */
export const DECISION_F1_TOLERANCE = 0.005;

/**
 * Picks the rule on the validation set: among the candidates whose macro-F1 is within
 * DECISION_F1_TOLERANCE of the best candidate's, the one with the fewest switches per day (ties:
 * fewer windows, then the smaller switching cost). The argmax is a candidate, so the layer is only
 * used where it pays.
 */
export function tuneDecisionRule(
  probabilities: ArrayLike<number>,
  labels: Uint8Array,
  clock: SampleClock,
  grid: { windows: readonly number[]; switchCosts: readonly number[]; spacingMinutes: number } = {
    windows: [2, 4],
    switchCosts: [0.25, 0.5, 1, 2],
    spacingMinutes: 15,
  },
): DecisionTuning {
  const score = (rule: DecisionRule) => {
    const predicted = decideSamples(probabilities, clock, rule);
    return { rule, macroF1: macroF1(labels, predicted), switchesPerDay: switchesPerDay(clock, predicted) };
  };
  const candidates = [score({ ...ARGMAX_RULE, spacingMinutes: grid.spacingMinutes })];
  // A validation set too sparse to hold the earlier windows can only tune the argmax.
  const usable = (grid.spacingMinutes * 60_000) % clock.strideMs === 0;
  for (const windows of usable ? grid.windows : []) {
    if (
      decisionSpanMinutes({ windows, spacingMinutes: grid.spacingMinutes, switchCost: 0 }) >
      MAX_DECISION_SPAN_MINUTES
    )
      continue;
    for (const switchCost of grid.switchCosts)
      candidates.push(score({ windows, spacingMinutes: grid.spacingMinutes, switchCost }));
  }
  const best = Math.max(...candidates.map((c) => c.macroF1));
  const eligible = candidates.filter((c) => c.macroF1 >= best - DECISION_F1_TOLERANCE);
  eligible.sort(
    (a, b) =>
      a.switchesPerDay - b.switchesPerDay ||
      a.rule.windows - b.rule.windows ||
      a.rule.switchCost - b.rule.switchCost,
  );
  const chosen = eligible[0]!;
  const argmax = candidates[0]!;
  return {
    rule: chosen.rule,
    argmax: { macroF1: argmax.macroF1, switchesPerDay: argmax.switchesPerDay },
    chosen: { macroF1: chosen.macroF1, switchesPerDay: chosen.switchesPerDay },
  };
}
