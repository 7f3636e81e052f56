import { REGIME_COUNT } from '@regime/labeler';
import { CALENDAR_COUNT } from './calendar.ts';
import { tf } from './tensorflow.ts';

export interface NetworkConfig {
  /**
   * Consecutive window steps fed to the LSTM as one input step (4 × 15m = 1 h, so 64 steps become 16).
   * The LSTM's cost is per step and tfjs pays a fixed overhead per op, so grouping steps makes
   * inference ~4× faster with the same information: no value of the window is dropped.
   */
  groupSteps: number;
  /** LSTM units. */
  units: number;
  /** Units of the ReLU layer that combines the LSTM's summary with the calendar inputs. */
  hidden: number;
  /** Dropout rate after that layer (training only). */
  dropout: number;
  seed: number;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  groupSteps: 4,
  units: 48,
  hidden: 32,
  dropout: 0.2,
  seed: 42,
};

/** The model's inputs, in order: the scaled feature window and the calendar of its as-of instant. */
export const NETWORK_INPUTS = ['window', 'calendar'] as const;

/** Starting weights of the wide part: a logistic regression on [newest row, calendar] (baselines.ts). */
export interface WideStart {
  /** (featureCount + CALENDAR_COUNT) × 6, row-major. */
  weights: readonly number[];
  bias: readonly number[];
}

const WIDE_LAYER = 'wide';

/**
 * Wide and deep: the logits are the sum of
 * - wide: a linear map of the newest feature row and the calendar (the logistic baseline's inputs), and
 * - deep: window → grouped steps → LSTM → joined with the calendar → dense(hidden, ReLU) → dropout → linear,
 * then softmax(6).
 *
 * With `wide` given, the wide part starts as the fitted logistic baseline and the deep part's last
 * layer starts at zero, so training begins from the baseline's predictions and the LSTM learns only
 * what the sequence adds to them; an LSTM trained from scratch on these noisy labels did worse than
 * the logistic regression (MODEL_CARD.md). The calendar joins the deep part after the LSTM because it
 * says which session T falls in, which must interact with the LSTM's summary. The dropout layer is
 * seeded, so training is reproducible: tfjs draws the same mask for each position in a batch, and the
 * per-epoch shuffle moves samples across positions, so each sample meets a different mask each epoch.
 */
export function buildNetwork(
  steps: number,
  featureCount: number,
  config: NetworkConfig,
  wide?: WideStart,
): tf.LayersModel {
  if (steps % config.groupSteps !== 0) {
    throw new Error(`groupSteps ${config.groupSteps} does not divide the ${steps} window steps`);
  }
  const { seed } = config;
  const window = tf.input({ shape: [steps, featureCount], name: NETWORK_INPUTS[0] });
  const calendar = tf.input({ shape: [CALENDAR_COUNT], name: NETWORK_INPUTS[1] });
  const apply = (layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(input) as tf.SymbolicTensor;

  // Wide: the newest step (cropped as a 1-row image: tfjs has no 1D cropping layer) and the calendar.
  const image = apply(tf.layers.reshape({ targetShape: [steps, featureCount, 1] }), window);
  const newest = apply(
    tf.layers.flatten(),
    apply(
      tf.layers.cropping2D({
        cropping: [
          [steps - 1, 0],
          [0, 0],
        ],
      }),
      image,
    ),
  );
  const wideLayer = tf.layers.dense({ units: REGIME_COUNT, name: WIDE_LAYER, kernelInitializer: 'zeros' });
  const wideLogits = apply(wideLayer, apply(tf.layers.concatenate(), [newest, calendar]));

  // Deep: the sequence.
  const grouped = apply(
    tf.layers.reshape({ targetShape: [steps / config.groupSteps, featureCount * config.groupSteps] }),
    window,
  );
  const summary = apply(
    tf.layers.lstm({
      units: config.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
    grouped,
  );
  const hidden = apply(
    tf.layers.dense({
      units: config.hidden,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
    }),
    apply(tf.layers.concatenate(), [summary, calendar]),
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
  const model = tf.model({ name: 'regime_lstm', inputs: [window, calendar], outputs: output });
  if (wide) {
    const width = featureCount + CALENDAR_COUNT;
    if (wide.weights.length !== width * REGIME_COUNT || wide.bias.length !== REGIME_COUNT) {
      model.dispose();
      throw new Error(`the wide start needs ${width} × ${REGIME_COUNT} weights and ${REGIME_COUNT} biases`);
    }
    const kernel = tf.tensor2d([...wide.weights], [width, REGIME_COUNT]);
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
