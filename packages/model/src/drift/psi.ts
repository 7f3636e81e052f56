/**
 * Population stability index of one input: how far the distribution of its recent values (`actual`)
 * has moved from the training distribution (`expected`), both as fractions over the same bins:
 * PSI = Σ (a − e) · ln(a / e). Usual reading: < 0.1 stable, 0.1–0.25 moderate, > 0.25 major drift.
 */

/** Stands in for an empty bin's fraction: ln(0) is undefined, and an empty bin is "rare", not "impossible". */
export const PSI_EPSILON = 1e-4;

/** PSI thresholds (the customary ones): above MODERATE watch it, above MAJOR retrain. */
export const PSI_MODERATE = 0.1;
export const PSI_MAJOR = 0.25;

export function psi(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length || expected.length === 0) {
    throw new Error(
      `psi needs two equally long, non-empty bin lists (${expected.length} and ${actual.length} bins)`,
    );
  }
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, PSI_EPSILON);
    const a = Math.max(actual[i]!, PSI_EPSILON);
    if (!(Number.isFinite(e) && Number.isFinite(a)))
      throw new Error(`psi: bin ${i} is not a finite fraction`);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/**
 * The bin of `value` against ascending interior edges: bin 0 holds values ≤ edges[0], bin k values in
 * (edges[k−1], edges[k]], the last bin values > the last edge. edges.length + 1 bins.
 */
export function binIndex(edges: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Fractions of `values` in each of the edges.length + 1 bins. NaN is refused: no model input is NaN. */
export function binFractions(edges: ArrayLike<number>, values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) throw new Error(`value ${i} is NaN`);
    counts[binIndex(edges, v)]!++;
  }
  return counts.map((c) => (values.length === 0 ? 0 : c / values.length));
}

/**
 * Decile edges of `values`: the 10 %, 20 %, … 90 % quantiles (the smallest value with at least that
 * share of values ≤ it), duplicates removed, so an input with few distinct values (the weekend flag)
 * has fewer, still meaningful bins.
 */
export function decileEdges(values: ArrayLike<number>): number[] {
  if (values.length === 0) throw new Error('decile edges of no values');
  const sorted = Float64Array.from(values).sort();
  if (Number.isNaN(sorted[sorted.length - 1]!)) throw new Error('decile edges: a value is NaN');
  const edges: number[] = [];
  for (let k = 1; k < 10; k++) {
    const edge = sorted[Math.max(0, Math.ceil((k * sorted.length) / 10) - 1)]!;
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}
