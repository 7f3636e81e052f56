/**
 * Segmentation with a switching cost: the discrete jump model of Nystrup et al. (2020), "Learning
 * hidden Markov models with persistent states by penalizing jumps", as extended by Aydınhan, Kolm,
 * Mulvey and Shu (2024). Given per-bar costs c[t][s] (how badly bar t fits state s), the segmentation
 * is the state sequence minimising
 *
 *     Σ_t c[t][s_t] + λ · #{t : s_t ≠ s_{t−1}}
 *
 * solved exactly by dynamic programming. The switching cost is the same for every pair of states, so
 * the inner minimum over the previous state is one shared value per bar: O(bars × states), not
 * O(bars × states²).
 *
 * Forward values V_t(s) = c[t][s] + min(V_{t−1}(s), min_s' V_{t−1}(s') + λ) depend on bars 0..t only.
 * Their argmin at t is the last state of the best segmentation of bars 0..t: the **causal** state
 * (`filterStates`), what the labeler can say at t without reading past it. The full segmentation
 * (`segmentStates`) backtracks from the end and therefore uses bars on both sides of t.
 */

/** Costs of `bars` bars × `states` states, row-major: costs[t * states + s]. */
export interface CostMatrix {
  costs: Float64Array;
  states: number;
}

function barsOf({ costs, states }: CostMatrix): number {
  if (!Number.isInteger(states) || states < 1 || states > 255) {
    throw new Error(`states must be an integer in 1..255, got ${states}`);
  }
  if (costs.length % states !== 0) {
    throw new Error(`${costs.length} costs are not a whole number of bars of ${states} states`);
  }
  for (let i = 0; i < costs.length; i++) {
    if (!Number.isFinite(costs[i]!))
      throw new Error(`cost ${i} (bar ${Math.floor(i / states)}) is not finite`);
  }
  return costs.length / states;
}

function checkLambda(lambda: number): void {
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new Error(`switching cost must be ≥ 0 and finite, got ${lambda}`);
}

/** Index of the smallest of values[from .. from + count), lowest index on ties. */
function argminAt(values: Float64Array, from: number, count: number): number {
  let best = 0;
  for (let s = 1; s < count; s++) if (values[from + s]! < values[from + best]!) best = s;
  return best;
}

/**
 * Runs the forward recursion and calls `visit(t, values)` with V_t after each bar. V_t is shifted so
 * that its minimum is 0 (a constant shift changes no comparison, and the values stay small); with
 * that shift, a path switching into any state at t + 1 arrives with exactly λ.
 */
function forward(matrix: CostMatrix, lambda: number, visit: (t: number, values: Float64Array) => void): void {
  const { costs, states } = matrix;
  const bars = barsOf(matrix);
  checkLambda(lambda);
  const values = new Float64Array(states);
  for (let t = 0; t < bars; t++) {
    let min = Number.POSITIVE_INFINITY;
    for (let s = 0; s < states; s++) {
      const arrive = t === 0 ? 0 : Math.min(values[s]!, lambda);
      values[s] = arrive + costs[t * states + s]!;
      if (values[s]! < min) min = values[s]!;
    }
    for (let s = 0; s < states; s++) values[s]! -= min;
    visit(t, values);
  }
}

/**
 * The causal state of every bar: argmin_s V_t(s), the last state of the best segmentation of bars
 * 0..t. Reads nothing after t: the value at t is the same whether or not later bars exist.
 */
export function filterStates(matrix: CostMatrix, lambda: number): Uint8Array {
  const out = new Uint8Array(barsOf(matrix));
  forward(matrix, lambda, (t, values) => {
    out[t] = argminAt(values, 0, matrix.states);
  });
  return out;
}

/**
 * The exact minimiser of total cost + λ × switches over all bars. On ties it prefers staying in the
 * current state, then the lowest state index, so the result is deterministic.
 */
export function segmentStates(matrix: CostMatrix, lambda: number): Uint8Array {
  const { states } = matrix;
  const bars = barsOf(matrix);
  const out = new Uint8Array(bars);
  if (bars === 0) return out;
  // stayed[t·states + s] = 1 when the best path into s at t comes from s at t − 1 (V_{t−1}(s) ≤ λ).
  const stayed = new Uint8Array(bars * states);
  // argmin V_{t−1}: where a path that switches at t comes from (its shifted value is 0).
  const switchedFrom = new Uint8Array(bars);
  let previousArgmin = 0;
  forward(matrix, lambda, (t, values) => {
    if (t > 0) switchedFrom[t] = previousArgmin;
    const next = t + 1;
    if (next < bars)
      for (let s = 0; s < states; s++) stayed[next * states + s] = values[s]! <= lambda ? 1 : 0;
    previousArgmin = argminAt(values, 0, states);
  });
  let state = previousArgmin;
  for (let t = bars - 1; t >= 0; t--) {
    out[t] = state;
    if (t > 0 && stayed[t * states + state] === 0) state = switchedFrom[t]!;
  }
  return out;
}

/** Number of state changes between consecutive bars. */
export function switchCount(states: ArrayLike<number>): number {
  let n = 0;
  for (let t = 1; t < states.length; t++) if (states[t] !== states[t - 1]) n++;
  return n;
}
