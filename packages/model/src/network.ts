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
  seed: number;
}

export const DEFAULT_NETWORK: NetworkConfig = { groupSteps: 4, units: 48, seed: 42 };

/** window (steps × features) → reshape to grouped steps → LSTM → 6-way softmax. */
export function buildNetwork(steps: number, featureCount: number, config: NetworkConfig): tf.LayersModel {
  if (steps % config.groupSteps !== 0) {
    throw new Error(`groupSteps ${config.groupSteps} does not divide the ${steps} window steps`);
  }
  const { seed } = config;
  const model = tf.sequential({ name: 'regime_lstm' });
  model.add(
    tf.layers.reshape({
      inputShape: [steps, featureCount],
      targetShape: [steps / config.groupSteps, featureCount * config.groupSteps],
    }),
  );
  model.add(
    tf.layers.lstm({
      units: config.units,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: REGIME_COUNT,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
    }),
  );
  return model;
}
