import {
  type LabelerView,
  VIEW_BAR_NAMES,
  VIEW_BARS,
  VIEW_SUMMARY_NAMES,
  VIEW_SWITCH_COSTS,
} from '@regime/labeler';

/**
 * The labeler's causal view (@regime/labeler, view.ts) as the network's two view inputs, before
 * scaling: `view_summary` (the forward values at each switching cost and how long the causal state
 * has held, as ln(1 + bars): a state held 3 bars and one held 150 differ in kind, 150 and 190 barely)
 * and `view_bars` (the per-bar rows of the newest VIEW_BARS bars, as the labeler computes them).
 */

export const VIEW_SUMMARY_WIDTH = VIEW_SUMMARY_NAMES.length;
export const VIEW_BAR_WIDTH = VIEW_BAR_NAMES.length;
export const VIEW_BARS_SIZE = VIEW_BARS * VIEW_BAR_WIDTH;

const HELD_FROM = VIEW_SWITCH_COSTS.length * 6;

/** Writes one view's inputs into `summary` at summaryOffset and `bars` at barsOffset. */
export function writeViewInputs(
  view: LabelerView,
  summary: Float32Array,
  summaryOffset: number,
  bars: Float32Array,
  barsOffset: number,
): void {
  for (let i = 0; i < VIEW_SUMMARY_WIDTH; i++) {
    const v = view.summary[i]!;
    summary[summaryOffset + i] = i >= HELD_FROM ? Math.log1p(v) : v;
  }
  bars.set(view.bars, barsOffset);
}

/** Newest bars of `view_bars` the wide part and the logistic baseline on the view read (4 hours). */
export const WIDE_VIEW_BARS = 16;
