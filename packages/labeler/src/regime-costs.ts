import type { RegimeEvidence } from './evidence.ts';
import type { CostScales, LabelerThresholds } from './params.ts';
import { REGIME_COUNT, REGIMES, type Regime } from './regimes.ts';

/**
 * Per-bar costs of labeler 2: how badly one bar's evidence fits each regime. They are soft versions of
 * the rules of labeler 1 (labeler.ts, `classifyRegime`): the rules cut the evidence space into six
 * regions (first match wins); the cost of a regime is the distance from the evidence to that regime's
 * region, in units of `CostScales`, plus the regime's offset. A bar inside a region costs 0 for its
 * regime (before offsets), so with no switching cost and zero offsets the segmentation is exactly the
 * rules' answer; a bar near a border costs little for the neighbouring regime, so the segmentation can
 * carry a regime across a few borderline bars instead of flickering.
 */

/** A condition's margin is clipped to ±this many units, so one extreme bar cannot outweigh hours. */
const MARGIN_CAP = 4;

function clip(x: number): number {
  return x > MARGIN_CAP ? MARGIN_CAP : x < -MARGIN_CAP ? -MARGIN_CAP : x;
}

/** Signed margin of `x ≥ threshold` in units of `scale`: positive when it holds. */
function atLeast(x: number, threshold: number, scale: number): number {
  return clip((x - threshold) / scale);
}

/** Signed margin of `x ≤ threshold` in units of `scale`: positive when it holds. */
function atMost(x: number, threshold: number, scale: number): number {
  return clip((threshold - x) / scale);
}

/**
 * A rule's box (its conditions, all of which must hold): `into` is the distance into the box (0 when
 * inside), `outOf` the distance out of it (0 when outside): the smallest margin, since breaking any
 * one condition leaves the box.
 */
function box(margins: readonly number[]): { into: number; outOf: number } {
  let into = 0;
  let smallest = Number.POSITIVE_INFINITY;
  for (const m of margins) {
    if (m < 0) into += m * m;
    if (m < smallest) smallest = m;
  }
  return { into: Math.sqrt(into), outOf: smallest > 0 ? smallest : 0 };
}

/** The rules' regimes in their order of precedence (REGIMES.md); range is what none of them claims. */
const PRECEDENCE = [
  'volatility_spike',
  'strong_trend',
  'weak_trend',
  'choppy_high_vol',
  'squeeze',
] as const satisfies readonly Regime[];

/**
 * Writes the six costs of one bar (REGIMES order) into `out` at `offset`. A regime's region is its own
 * box minus the boxes of the regimes that take precedence, so its cost combines the distance into its
 * box with the distance out of each earlier box (root sum of squares).
 */
export function writeRegimeCosts(
  e: RegimeEvidence,
  t: LabelerThresholds,
  scales: CostScales,
  offsets: Readonly<Record<Regime, number>>,
  out: Float64Array,
  offset: number,
): void {
  const logVolRatio = Math.log(Math.max(e.volRatio, 1e-12));
  const boxes: Record<(typeof PRECEDENCE)[number], { into: number; outOf: number }> = {
    volatility_spike: box([
      atLeast(logVolRatio, Math.log(t.spikeVolRatio), scales.logVolRatio),
      atLeast(e.volPercentile, t.spikeVolPercentile, scales.volPercentile),
    ]),
    strong_trend: box([
      atLeast(e.efficiency, t.strongEfficiency, scales.efficiency),
      atLeast(e.netAtr, t.strongNetAtr, scales.netAtr),
    ]),
    weak_trend: box([
      atLeast(e.efficiency, t.weakEfficiency, scales.efficiency),
      atLeast(e.netAtr, t.weakNetAtr, scales.netAtr),
    ]),
    choppy_high_vol: box([atLeast(e.volPercentile, t.choppyVolPercentile, scales.volPercentile)]),
    squeeze: box([
      atMost(e.bbPercentile, t.squeezeBbPercentile, scales.bbPercentile),
      atMost(e.rangeAtr, t.squeezeRangeAtr, scales.rangeAtr),
    ]),
  };
  let earlierOut = 0;
  for (const regime of PRECEDENCE) {
    const b = boxes[regime];
    out[offset + REGIMES.indexOf(regime)] = Math.sqrt(b.into * b.into + earlierOut) + offsets[regime];
    earlierOut += b.outOf * b.outOf;
  }
  out[offset + REGIMES.indexOf('range')] = Math.sqrt(earlierOut) + offsets.range;
}

/** Costs of many bars' evidence: bars × REGIME_COUNT, row-major. */
export function regimeCosts(
  evidence: readonly RegimeEvidence[],
  t: LabelerThresholds,
  scales: CostScales,
  offsets: Readonly<Record<Regime, number>>,
): Float64Array {
  const out = new Float64Array(evidence.length * REGIME_COUNT);
  evidence.forEach((e, i) => {
    writeRegimeCosts(e, t, scales, offsets, out, i * REGIME_COUNT);
  });
  return out;
}
