import { CALENDAR_COUNT } from './calendar.ts';
import { REGIME_COUNT } from './regimes.ts';
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

/**
 * window (steps × features) → grouped steps → LSTM ─┐
 *                                     calendar ───────┴→ concat → dense(hidden, ReLU) → dropout → softmax(6)
 *
 * The calendar joins after the LSTM: it says which hours the next 4 h cover (sessions, weekend), which
 * changes how the same recent market is likely to continue, so it must interact with the LSTM's
 * summary, hence the hidden layer. The dropout layer is seeded, so training is reproducible: tfjs
 * draws the same mask for each position in a batch, and the per-epoch shuffle moves samples across
 * positions, so each sample still sees a different mask every epoch.
 */
export function buildNetwork(steps: number, featureCount: number, config: NetworkConfig): tf.LayersModel {
  if (steps % config.groupSteps !== 0) {
    throw new Error(`groupSteps ${config.groupSteps} does not divide the ${steps} window steps`);
  }
  const { seed } = config;
  const window = tf.input({ shape: [steps, featureCount], name: NETWORK_INPUTS[0] });
  const calendar = tf.input({ shape: [CALENDAR_COUNT], name: NETWORK_INPUTS[1] });
  const grouped = tf.layers
    .reshape({ targetShape: [steps / config.groupSteps, featureCount * config.groupSteps] })
    .apply(window) as tf.SymbolicTensor;
  const summary = tf.layers
    .lstm({
      units: config.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    })
    .apply(grouped) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate().apply([summary, calendar]) as tf.SymbolicTensor;
  const hidden = tf.layers
    .dense({
      units: config.hidden,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
    })
    .apply(joined) as tf.SymbolicTensor;
  const dropped = tf.layers
    .dropout({ rate: config.dropout, seed: seed + 4 })
    .apply(hidden) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: REGIME_COUNT,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
    })
    .apply(dropped) as tf.SymbolicTensor;
  return tf.model({ name: 'regime_lstm', inputs: [window, calendar], outputs: output });
}
