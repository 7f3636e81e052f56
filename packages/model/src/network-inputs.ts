import { VIEW_BAR_NAMES, VIEW_BARS } from '@regime/labeler';
import { CALENDAR_COUNT, calendarInputs } from './calendar.ts';
import type { Dataset } from './dataset.ts';
import type { KernelNetwork } from './kernel/index.ts';
import { applyScaler, applyScalerInPlace, type ModelScalers } from './scaler.ts';
import { VIEW_BAR_WIDTH, VIEW_SUMMARY_WIDTH, WIDE_VIEW_BARS } from './view-inputs.ts';

/**
 * The model's inputs, in order: the scaled feature window, the calendar of its as-of instant, and the
 * labeler's causal view (view-inputs.ts), scaled: its summary and its per-bar rows.
 */
export const NETWORK_INPUTS = ['window', 'calendar', 'view_summary', 'view_bars'] as const;

/** Width of the wide part's input: the view summary, the newest WIDE_VIEW_BARS bar rows and the calendar. */
export const WIDE_WIDTH = VIEW_SUMMARY_WIDTH + WIDE_VIEW_BARS * VIEW_BAR_WIDTH + CALENDAR_COUNT;

/** Values of one sample's view bars. */
export const BARS_ROW = VIEW_BARS * VIEW_BAR_NAMES.length;

/**
 * Network inputs of n samples, scaled: windows (n × steps × features), calendars (n × CALENDAR_COUNT),
 * view summaries (n × VIEW_SUMMARY_WIDTH) and view bars (n × VIEW_BARS × VIEW_BAR_WIDTH).
 */
export interface NetworkInputs {
  x: Float32Array;
  calendar: Float32Array;
  viewSummary: Float32Array;
  viewBars: Float32Array;
  steps: number;
  featureCount: number;
}

/** The network's inputs for a dataset, scaled with the model's scalers. */
export function networkInputs(scalers: ModelScalers, dataset: Dataset): NetworkInputs {
  return {
    x: applyScaler(scalers.features, dataset.windows),
    calendar: calendarInputs(dataset.asOf),
    viewSummary: applyScaler(scalers.viewSummary, dataset.viewSummary),
    viewBars: applyScaler(scalers.viewBars, dataset.viewBars),
    steps: dataset.steps,
    featureCount: dataset.featureCount,
  };
}

/**
 * The network's inputs for a dataset that is not needed raw again (the training set), scaled in
 * place: the dataset's windows and view arrays then hold scaled values.
 */
export function scaleInPlace(scalers: ModelScalers, dataset: Dataset): NetworkInputs {
  return {
    x: applyScalerInPlace(scalers.features, dataset.windows),
    calendar: calendarInputs(dataset.asOf),
    viewSummary: applyScalerInPlace(scalers.viewSummary, dataset.viewSummary),
    viewBars: applyScalerInPlace(scalers.viewBars, dataset.viewBars),
    steps: dataset.steps,
    featureCount: dataset.featureCount,
  };
}

/** The inputs of the samples at `indices`, in that order (a copy). */
export function selectInputs(data: NetworkInputs, indices: ArrayLike<number>): NetworkInputs {
  const n = inputCount(data);
  const rows = (src: Float32Array) => {
    const width = src.length / n;
    const out = new Float32Array(indices.length * width);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      out.set(src.subarray(i * width, (i + 1) * width), k * width);
    }
    return out;
  };
  return {
    x: rows(data.x),
    calendar: rows(data.calendar),
    viewSummary: rows(data.viewSummary),
    viewBars: rows(data.viewBars),
    steps: data.steps,
    featureCount: data.featureCount,
  };
}

/** Samples in a set of network inputs. */
export function inputCount(data: NetworkInputs): number {
  return data.calendar.length / CALENDAR_COUNT;
}

/**
 * Class probabilities (n × 6) of network inputs on the inference kernel: the one forward pass of
 * `RegimeModel.predict`, `evaluate` and the smoke check. Inputs are passed by the names the model
 * was built with (NETWORK_INPUTS), in the order the saved model lists them.
 */
export function networkProbabilities(network: KernelNetwork, data: NetworkInputs): Float32Array {
  const byName: Record<(typeof NETWORK_INPUTS)[number], Float32Array> = {
    window: data.x,
    calendar: data.calendar,
    view_summary: data.viewSummary,
    view_bars: data.viewBars,
  };
  const inputs = network.inputNames.map((name) => {
    const values = byName[name as (typeof NETWORK_INPUTS)[number]];
    if (!values)
      throw new Error(`the network reads an input "${name}" that is not one of ${NETWORK_INPUTS.join(', ')}`);
    return values;
  });
  return network.predict(inputs, inputCount(data));
}
