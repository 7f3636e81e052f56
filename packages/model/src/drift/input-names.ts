import { FEATURE_NAMES } from '@regime/features';
import { VIEW_BAR_NAMES, VIEW_BARS, VIEW_SUMMARY_NAMES } from '@regime/labeler';
import { CALENDAR_COUNT, CALENDAR_NAMES, writeCalendar } from '../calendar.ts';
import type { Dataset } from '../dataset.ts';
import type { ModelInput } from '../model.ts';
import { VIEW_BAR_WIDTH, VIEW_BARS_SIZE, VIEW_SUMMARY_WIDTH, writeViewInputs } from '../view-inputs.ts';

/**
 * The names of the model's inputs whose distribution is watched for drift, in a fixed order:
 *
 * - `window.<feature>`: the newest row (as of T) of the 64-step feature window, e.g. `window.rsi_15m`
 *   (the older rows are the same series at earlier instants: they drift together);
 * - `calendar.<name>`: the calendar inputs of T, e.g. `calendar.day_sin`;
 * - `view_summary.<name>`: the labeler view's summary as the network reads it before scaling
 *   (held-bar counts as ln(1 + bars)), e.g. `view_summary.forward_l1_range`;
 * - `view_bars.<column>`: one column of the view's per-bar rows, pooled over all 64 bars of each
 *   instant (what the LSTM reads), e.g. `view_bars.net_atr`.
 *
 * Values are taken before the scaler: the scaler is monotone per input (clipping at ±5 σ only merges
 * the tails), so decile bins and PSI are the same on either side of it.
 */
export const DRIFT_INPUT_NAMES: readonly string[] = Object.freeze([
  ...FEATURE_NAMES.map((n) => `window.${n}`),
  ...CALENDAR_NAMES.map((n) => `calendar.${n}`),
  ...VIEW_SUMMARY_NAMES.map((n) => `view_summary.${n}`),
  ...VIEW_BAR_NAMES.map((n) => `view_bars.${n}`),
]);

const FEATURES = FEATURE_NAMES.length;
const CALENDAR_FROM = FEATURES;
const SUMMARY_FROM = CALENDAR_FROM + CALENDAR_COUNT;
const BARS_FROM = SUMMARY_FROM + VIEW_SUMMARY_WIDTH;

/** Values of one input per instant: VIEW_BARS per instant for a `view_bars.*` input, one otherwise. */
export function valuesPerInstant(inputIndex: number): number {
  return inputIndex >= BARS_FROM ? VIEW_BARS : 1;
}

/**
 * Every input's values over many instants, in DRIFT_INPUT_NAMES order.
 * Stored as float32, the precision the network reads (the training windows are float32 already), so a
 * live value equal to a training value falls in the same bin. Filled from the training
 * dataset (`addDatasetSamples`) or from the predictor's model inputs (`addModelInput`): both go
 * through the same `addInstant`, so training and live values are taken the same way.
 */
export class InputColumns {
  readonly columns: Float32Array[];
  private count = 0;
  private readonly calendar = new Float32Array(CALENDAR_COUNT);
  private readonly summary = new Float32Array(VIEW_SUMMARY_WIDTH);
  private readonly bars = new Float32Array(VIEW_BARS_SIZE);

  constructor(readonly capacity: number) {
    this.columns = DRIFT_INPUT_NAMES.map((_, i) => new Float32Array(capacity * valuesPerInstant(i)));
  }

  /** Instants added so far. */
  get instants(): number {
    return this.count;
  }

  /** The values of input `i` added so far. */
  values(i: number): Float32Array {
    return this.columns[i]!.subarray(0, this.count * valuesPerInstant(i));
  }

  /**
   * One instant: the feature window's newest row, T, the view summary (already as the network reads
   * it, writeViewInputs) and the view's bar rows.
   */
  private addInstant(newestRow: ArrayLike<number>, asOf: number): void {
    if (this.count >= this.capacity) throw new Error(`InputColumns is full (${this.capacity} instants)`);
    const k = this.count;
    for (let f = 0; f < FEATURES; f++) this.columns[f]![k] = newestRow[f]!;
    writeCalendar(asOf, this.calendar, 0);
    for (let c = 0; c < CALENDAR_COUNT; c++) this.columns[CALENDAR_FROM + c]![k] = this.calendar[c]!;
    for (let s = 0; s < VIEW_SUMMARY_WIDTH; s++) this.columns[SUMMARY_FROM + s]![k] = this.summary[s]!;
    for (let c = 0; c < VIEW_BAR_WIDTH; c++) {
      const column = this.columns[BARS_FROM + c]!;
      for (let b = 0; b < VIEW_BARS; b++) column[k * VIEW_BARS + b] = this.bars[b * VIEW_BAR_WIDTH + c]!;
    }
    this.count++;
  }

  /** Samples `indices` of a dataset (unscaled: call before scaleInPlace). */
  addDatasetSamples(d: Dataset, indices: ArrayLike<number>): void {
    if (d.featureCount !== FEATURES)
      throw new Error(`dataset has ${d.featureCount} features, not ${FEATURES}`);
    const row = d.steps * d.featureCount;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      const newest = d.windows.subarray(i * row + (d.steps - 1) * d.featureCount, (i + 1) * row);
      this.summary.set(d.viewSummary.subarray(i * VIEW_SUMMARY_WIDTH, (i + 1) * VIEW_SUMMARY_WIDTH));
      this.bars.set(d.viewBars.subarray(i * VIEW_BARS_SIZE, (i + 1) * VIEW_BARS_SIZE));
      this.addInstant(newest, d.asOf[i]!);
    }
  }

  /** One model input as the predictor builds it (@regime/inference modelInputAt). */
  addModelInput(input: ModelInput): void {
    const { window, view } = input;
    if (window.featureNames.length !== FEATURES)
      throw new Error(`window has ${window.featureNames.length} features, not ${FEATURES}`);
    writeViewInputs(view, this.summary, 0, this.bars, 0);
    this.addInstant(
      window.values.subarray((window.steps - 1) * FEATURES, window.steps * FEATURES),
      window.asOf,
    );
  }
}
