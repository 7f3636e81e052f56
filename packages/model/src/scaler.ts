/**
 * Per-feature standardisation fitted on the training split only and saved with the model, so
 * training and production scale identically. Values are clipped after scaling: a few indicators
 * (ROC, MACD histogram, volatility) have heavy tails that would otherwise dominate the LSTM's inputs.
 */
export interface ScalerState {
  featureNames: string[];
  mean: number[];
  std: number[];
  clip: number;
}

/** Fits mean and std of each feature column over every step of every window. */
export function fitScaler(
  windows: Float32Array | Float64Array,
  featureNames: readonly string[],
  clip = 5,
): ScalerState {
  const f = featureNames.length;
  const rows = windows.length / f;
  if (!Number.isInteger(rows) || rows === 0) throw new Error('scaler needs at least one full feature row');
  const sum = new Float64Array(f);
  const sumSq = new Float64Array(f);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < f; j++) {
      const v = windows[r * f + j]!;
      sum[j]! += v;
      sumSq[j]! += v * v;
    }
  }
  const mean = Array.from(sum, (s) => s / rows);
  const std = Array.from(sumSq, (s, j) => {
    const variance = Math.max(0, s / rows - mean[j]! ** 2);
    // A constant column would divide by zero: leave it centred but unscaled.
    return variance > 1e-24 ? Math.sqrt(variance) : 1;
  });
  return { featureNames: [...featureNames], mean, std, clip };
}

/** Scaled copy of `values` (any number of rows of the scaler's features) as float32. */
export function applyScaler(scaler: ScalerState, values: ArrayLike<number>): Float32Array {
  const f = scaler.mean.length;
  if (values.length % f !== 0) throw new Error(`expected a multiple of ${f} values, got ${values.length}`);
  const out = new Float32Array(values.length);
  const { mean, std, clip } = scaler;
  for (let i = 0; i < values.length; i++) {
    const j = i % f;
    const z = (values[i]! - mean[j]!) / std[j]!;
    out[i] = Math.min(clip, Math.max(-clip, z));
  }
  return out;
}

/** Scales `values` in place (the caller no longer needs the raw values): no copy of gigabytes of windows. */
export function applyScalerInPlace(scaler: ScalerState, values: Float32Array): Float32Array {
  const f = scaler.mean.length;
  if (values.length % f !== 0) throw new Error(`expected a multiple of ${f} values, got ${values.length}`);
  const { mean, std, clip } = scaler;
  for (let i = 0; i < values.length; i++) {
    const j = i % f;
    const z = (values[i]! - mean[j]!) / std[j]!;
    values[i] = Math.min(clip, Math.max(-clip, z));
  }
  return values;
}

/** The three scalers of the network's inputs, fitted together on the training split (scaler.json). */
export interface ModelScalers {
  /** The 36 features, per feature over every step. */
  features: ScalerState;
  /** The view summary, per entry. */
  viewSummary: ScalerState;
  /** The view's bar rows, per column over every bar. */
  viewBars: ScalerState;
}
