import { REGIME_COUNT, VIEW_BARS } from '@regime/labeler';
import { CALENDAR_COUNT } from './calendar.ts';
import { NETWORK_INPUTS, WIDE_WIDTH } from './network-inputs.ts';
import { tf } from './tensorflow.ts';
import { VIEW_BAR_WIDTH, VIEW_SUMMARY_WIDTH, WIDE_VIEW_BARS } from './view-inputs.ts';

export interface NetworkConfig {
  /**
   * Consecutive view bars fed to the LSTM as one input step (4 × 15 min = 1 h: 64 bars become 16
   * steps). The LSTM's cost is per step and tfjs pays a fixed overhead per op, so grouping bars makes
   * training and inference ~4× faster with the same information: no value is dropped.
   */
  groupBars: number;
  /** LSTM units. */
  units: number;
  /** Units of the dense projection of the flattened 64 × 36 feature window. */
  windowUnits: number;
  /** Units of the ReLU layer that combines the LSTM's summary, the window, the view summary and the calendar. */
  hidden: number;
  /** Dropout rate after that layer (training only). */
  dropout: number;
  seed: number;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  groupBars: 4,
  units: 32,
  windowUnits: 16,
  hidden: 64,
  dropout: 0.2,
  seed: 42,
};

/** Starting weights of the wide part: the logistic regression on the view (baselines.ts). */
export interface WideStart {
  /** WIDE_WIDTH × 6, row-major. */
  weights: readonly number[];
  bias: readonly number[];
}

const WIDE_LAYER = 'wide';

/**
 * Wide and deep: the logits are the sum of
 * - wide: a linear map of the view summary, the newest 4 hours of view bars and the calendar (the
 *   inputs of the logistic baseline on the view), and
 * - deep: view bars → grouped steps → LSTM, beside a dense projection of the feature window, the view
 *   summary and the calendar → dense(hidden, ReLU) → dropout → linear,
 * then softmax(6).
 *
 * With `wide` given, the wide part starts as the fitted logistic baseline and the deep part's last
 * layer at zero, so training begins from the baseline's answers and the deep part learns what the
 * 16 hours of bars and the indicators add. The LSTM reads the labeler's own per-bar quantities: what
 * the labels are made of, including the bars that will drop out of the next windows. The dropout
 * layer is seeded, so training is reproducible.
 */
export function buildNetwork(
  steps: number,
  featureCount: number,
  config: NetworkConfig,
  wide?: WideStart,
): tf.LayersModel {
  const bars = VIEW_BARS;
  if (bars % config.groupBars !== 0) {
    throw new Error(`groupBars ${config.groupBars} does not divide the ${bars} view bars`);
  }
  const { seed } = config;
  const window = tf.input({ shape: [steps, featureCount], name: NETWORK_INPUTS[0] });
  const calendar = tf.input({ shape: [CALENDAR_COUNT], name: NETWORK_INPUTS[1] });
  const summary = tf.input({ shape: [VIEW_SUMMARY_WIDTH], name: NETWORK_INPUTS[2] });
  const viewBars = tf.input({ shape: [bars, VIEW_BAR_WIDTH], name: NETWORK_INPUTS[3] });
  const apply = (layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(input) as tf.SymbolicTensor;

  // Wide: the newest bars (cropped as a 1-channel image: tfjs has no 1D cropping layer).
  const image = apply(tf.layers.reshape({ targetShape: [bars, VIEW_BAR_WIDTH, 1] }), viewBars);
  const newest = apply(
    tf.layers.flatten(),
    apply(
      tf.layers.cropping2D({
        cropping: [
          [bars - WIDE_VIEW_BARS, 0],
          [0, 0],
        ],
      }),
      image,
    ),
  );
  const wideLayer = tf.layers.dense({ units: REGIME_COUNT, name: WIDE_LAYER, kernelInitializer: 'zeros' });
  const wideLogits = apply(wideLayer, apply(tf.layers.concatenate(), [summary, newest, calendar]));

  // Deep: the bar sequence, and the indicators.
  const grouped = apply(
    tf.layers.reshape({ targetShape: [bars / config.groupBars, VIEW_BAR_WIDTH * config.groupBars] }),
    viewBars,
  );
  const sequence = apply(
    tf.layers.lstm({
      units: config.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
    grouped,
  );
  const indicators = apply(
    tf.layers.dense({
      units: config.windowUnits,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }),
    }),
    apply(tf.layers.flatten(), window),
  );
  const hidden = apply(
    tf.layers.dense({
      units: config.hidden,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
    }),
    apply(tf.layers.concatenate(), [sequence, indicators, summary, calendar]),
  );
  const dropped = apply(tf.layers.dropout({ rate: config.dropout, seed: seed + 4 }), hidden);
  const deepLogits = apply(
    tf.layers.dense({
      units: REGIME_COUNT,
      useBias: false,
      kernelInitializer: wide ? 'zeros' : tf.initializers.glorotUniform({ seed: seed + 2 }),
    }),
    dropped,
  );
  const output = apply(
    tf.layers.activation({ activation: 'softmax' }),
    apply(tf.layers.add(), [wideLogits, deepLogits]),
  );
  const model = tf.model({
    name: 'regime_net',
    inputs: [window, calendar, summary, viewBars],
    outputs: output,
  });
  if (wide) {
    if (wide.weights.length !== WIDE_WIDTH * REGIME_COUNT || wide.bias.length !== REGIME_COUNT) {
      model.dispose();
      throw new Error(
        `the wide start needs ${WIDE_WIDTH} × ${REGIME_COUNT} weights and ${REGIME_COUNT} biases`,
      );
    }
    const kernel = tf.tensor2d([...wide.weights], [WIDE_WIDTH, REGIME_COUNT]);
    const bias = tf.tensor1d([...wide.bias]);
    wideLayer.setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
  }
  return model;
}

/** Adds per-class offsets to the logits (the tuned decision bias), folded into the wide layer's bias. */
export function shiftOutputBias(model: tf.LayersModel, offsets: readonly number[]): void {
  const layer = model.getLayer(WIDE_LAYER);
  const [kernel, bias] = layer.getWeights();
  const shifted = tf.add(bias!, tf.tensor1d([...offsets]));
  layer.setWeights([kernel!, shifted]);
  shifted.dispose();
}
