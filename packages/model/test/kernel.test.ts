import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { beforeAll, describe, expect, it } from 'vitest';
import { readArtifact } from '../src/artifact.ts';
import { readInferenceArtifact } from '../src/artifact-files.ts';
import { fileCandleSource } from '../src/candle-source.ts';
import { compileNetwork, type KernelNetwork, type SavedNetwork } from '../src/kernel/index.ts';
import { defaultModelDir } from '../src/model.ts';
import { buildNetwork, type NetworkConfig } from '../src/network.ts';
import { networkInputs, networkProbabilities, WIDE_WIDTH } from '../src/network-inputs.ts';
import { candleRange, splitDataset } from '../src/period-data.ts';
import { seededRandom } from '../src/rng.ts';
import { initTensorflow, tf } from '../src/tensorflow.ts';
import { savedNetworkOf } from '../src/tfjs-kernel.ts';

/** The bound of the issue: max |kernel − tfjs| over every softmax output. */
const TOLERANCE = 1e-5;
const random = seededRandom(11);
const uniform = (length: number, scale: number) =>
  Float32Array.from({ length }, () => (random() * 2 - 1) * scale);
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function randomInputs(network: KernelNetwork, n: number, scale = 2): Float32Array[] {
  return network.inputShapes.map((shape) => uniform(n * size(shape), scale));
}

function tfjsOutputs(
  model: tf.LayersModel,
  network: KernelNetwork,
  inputs: Float32Array[],
  n: number,
): Float32Array {
  const tensors = inputs.map((x, i) => tf.tensor(x, [n, ...network.inputShapes[i]!]));
  const output = model.predict(tensors) as tf.Tensor;
  const values = output.dataSync() as Float32Array;
  output.dispose();
  for (const t of tensors) t.dispose();
  return values;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Every weight of `model` drawn uniformly from ±scale (an untrained network has zeros and identities). */
function randomizeWeights(model: tf.LayersModel, scale = 0.4): void {
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const fresh = weights.map((w) => tf.tensor(uniform(w.size, scale), w.shape));
    layer.setWeights(fresh); // copies into the layer's variables (getWeights returns them, not copies)
    for (const w of fresh) w.dispose();
  }
}

/** Kernel vs tfjs on `n` random samples: the max abs difference of the outputs. */
async function compare(model: tf.LayersModel, n = 37, capacity?: number): Promise<number> {
  const network = compileNetwork(await savedNetworkOf(model), { capacity });
  const inputs = randomInputs(network, n);
  return maxDifference(network.predict(inputs, n), tfjsOutputs(model, network, inputs, n));
}

beforeAll(async () => {
  await initTensorflow();
});

describe('the inference kernel equals tfjs predict within 1e-5', () => {
  it('on the shipped artifact as inference loads it (model.json + weights.bin), 300 random samples, chunked', async () => {
    const dir = defaultModelDir();
    const { network } = await readInferenceArtifact(dir);
    const { model } = await readArtifact(dir);
    const n = 300; // more than the 256 a call computes at once
    const inputs = randomInputs(network, n);
    const reference = tfjsOutputs(model, network, inputs, n);
    expect(maxDifference(network.predict(inputs, n), reference)).toBeLessThan(TOLERANCE);
    const small = await readInferenceArtifact(dir, { capacity: 7 });
    expect(maxDifference(small.network.predict(inputs, n), reference)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  describe.skipIf(!hasSharedKlines())('on real windows', () => {
    it('the shipped artifact on every 15-minute window of two days of BTCUSDT and ETHUSDT', async () => {
      const dir = defaultModelDir();
      const { network, metadata, scalers } = await readInferenceArtifact(dir);
      const { model } = await readArtifact(dir);
      const period = { from: Date.UTC(2025, 6, 10), to: Date.UTC(2025, 6, 12) };
      const source = fileCandleSource(sharedKlinesDir());
      const histories = [];
      for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
        histories.push({
          symbol,
          history: await source.history(symbol, candleRange(period, metadata.labeler.params)),
        });
      }
      const { dataset } = await splitDataset(histories, period, 15, metadata.labeler.params);
      expect(dataset.size).toBeGreaterThan(300);
      const inputs = networkInputs(scalers, dataset);
      const kernel = networkProbabilities(network, inputs);
      const ordered = [inputs.x, inputs.calendar, inputs.viewSummary, inputs.viewBars];
      expect(maxDifference(kernel, tfjsOutputs(model, network, ordered, dataset.size))).toBeLessThan(
        TOLERANCE,
      );
      model.dispose();
    }, 180_000);
  });
  if (!hasSharedKlines()) console.warn(`kernel on real windows skipped: no candles in ${sharedKlinesDir()}`);

  const wide = (seed: number) => ({
    weights: Array.from(uniform(WIDE_WIDTH * 6, 0.3 + seed * 0)),
    bias: Array.from(uniform(6, 0.3)),
  });
  const networks: [string, number, number, NetworkConfig, boolean][] = [
    [
      'the shipped shape',
      64,
      36,
      { groupBars: 4, units: 32, windowUnits: 16, hidden: 64, dropout: 0.2, seed: 1 },
      true,
    ],
    [
      'without the wide start',
      64,
      36,
      { groupBars: 4, units: 32, windowUnits: 16, hidden: 64, dropout: 0.2, seed: 2 },
      false,
    ],
    [
      'groupBars 1 (64 steps), odd units',
      8,
      3,
      { groupBars: 1, units: 5, windowUnits: 3, hidden: 7, dropout: 0, seed: 3 },
      false,
    ],
    [
      'groupBars 2, one window unit',
      16,
      5,
      { groupBars: 2, units: 9, windowUnits: 1, hidden: 3, dropout: 0.5, seed: 4 },
      true,
    ],
    [
      'groupBars 16 (4 steps), wide LSTM',
      4,
      2,
      { groupBars: 16, units: 48, windowUnits: 6, hidden: 2, dropout: 0.1, seed: 5 },
      true,
    ],
  ];
  it.each(networks)('on random weights of buildNetwork: %s', async (_, steps, features, config, withWide) => {
    const model = buildNetwork(steps, features, config, withWide ? wide(config.seed) : undefined);
    randomizeWeights(model);
    expect(await compare(model, 41)).toBeLessThan(TOLERANCE);
    expect(await compare(model, 5, 2)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it('on every activation a Dense layer may name, on 3D inputs (applied over the last axis)', async () => {
    const activations = [
      'relu',
      'relu6',
      'elu',
      'selu',
      'sigmoid',
      'hardSigmoid',
      'tanh',
      'softplus',
      'softsign',
      'swish',
      'linear',
      'softmax',
    ] as const;
    const input = tf.input({ shape: [3, 4] });
    const branches = activations.map(
      (activation) => tf.layers.dense({ units: 5, activation }).apply(input) as tf.SymbolicTensor,
    );
    const joined = tf.layers.concatenate().apply(branches) as tf.SymbolicTensor;
    const output = tf.layers
      .dense({ units: 6, activation: 'softmax' })
      .apply(tf.layers.flatten().apply(joined) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    randomizeWeights(model, 1);
    expect(await compare(model)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it('on LSTMs: sigmoid or hard_sigmoid gates, relu or tanh, return_sequences, go_backwards, no bias', async () => {
    const input = tf.input({ shape: [7, 3] });
    const sequence = tf.layers
      .lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid', goBackwards: true })
      .apply(input) as tf.SymbolicTensor;
    const second = tf.layers
      .lstm({ units: 6, activation: 'relu', recurrentActivation: 'hardSigmoid', useBias: false })
      .apply(sequence) as tf.SymbolicTensor;
    const both = tf.layers
      .concatenate()
      .apply([second, tf.layers.flatten().apply(sequence) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 6, activation: 'softmax' }).apply(both) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    randomizeWeights(model, 0.8);
    expect(await compare(model)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it('on asymmetric cropping, reshapes, concatenation off the last axis, add of three, activation', async () => {
    const a = tf.input({ shape: [6, 4] });
    const b = tf.input({ shape: [3, 4] });
    // tfjs has no Cropping1D: the network crops rows as a 1-channel image, as here.
    const cropped1 = tf.layers.flatten().apply(
      tf.layers
        .cropping2D({
          cropping: [
            [2, 1],
            [0, 0],
          ],
        })
        .apply(
          tf.layers.reshape({ targetShape: [6, 4, 1] }).apply(a) as tf.SymbolicTensor,
        ) as tf.SymbolicTensor,
    ) as tf.SymbolicTensor; // [12]
    const croppedRows = tf.layers.reshape({ targetShape: [3, 4] }).apply(cropped1) as tf.SymbolicTensor;
    const image = tf.layers.reshape({ targetShape: [6, 2, 2] }).apply(a) as tf.SymbolicTensor; // [6, 2, 2]
    const cropped2 = tf.layers
      .cropping2D({
        cropping: [
          [1, 2],
          [1, 0],
        ],
      })
      .apply(image) as tf.SymbolicTensor; // [3, 1, 2]
    const rows = tf.layers.concatenate({ axis: 1 }).apply([croppedRows, b]) as tf.SymbolicTensor; // [6, 4]
    const projected = tf.layers
      .dense({ units: 6 })
      .apply(tf.layers.flatten().apply(rows) as tf.SymbolicTensor);
    const fromImage = tf.layers
      .dense({ units: 6 })
      .apply(tf.layers.flatten().apply(cropped2) as tf.SymbolicTensor);
    const fromB = tf.layers
      .dense({ units: 6, useBias: false })
      .apply(tf.layers.flatten().apply(b) as tf.SymbolicTensor);
    const sum = tf.layers
      .add()
      .apply([projected, fromImage, fromB] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
    const dropped = tf.layers.dropout({ rate: 0.5 }).apply(sum) as tf.SymbolicTensor;
    const output = tf.layers.activation({ activation: 'softmax' }).apply(dropped) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: output });
    randomizeWeights(model, 1);
    expect(await compare(model)).toBeLessThan(TOLERANCE);
    model.dispose();
  });
});

describe('the comparison can fail', () => {
  let saved: SavedNetwork;
  let model: tf.LayersModel;
  let inputs: Float32Array[];
  let reference: Float32Array;
  const n = 64;
  beforeAll(async () => {
    model = (await readArtifact(defaultModelDir())).model;
    saved = await savedNetworkOf(model);
    const network = compileNetwork(saved);
    inputs = randomInputs(network, n);
    reference = tfjsOutputs(model, network, inputs, n);
  });

  it('one LSTM weight changed by 0.05 breaks the equality', () => {
    const data = saved.weightData.slice(0);
    const lstmKernel = new Float32Array(data, 0, 56 * 128); // the first weight of the manifest
    expect(saved.weightSpecs[0]!.name).toMatch(/lstm.*\/kernel$/);
    lstmKernel[3 * 128 + 5]! += 0.05;
    const perturbed = compileNetwork({ ...saved, weightData: data });
    expect(maxDifference(perturbed.predict(inputs, n), reference)).toBeGreaterThan(TOLERANCE);
  });

  it('sigmoid gates where the layer says hard_sigmoid break the equality', () => {
    const topology = JSON.parse(JSON.stringify(saved.modelTopology).replace('"hard_sigmoid"', '"sigmoid"'));
    const wrong = compileNetwork({ ...saved, modelTopology: topology });
    expect(maxDifference(wrong.predict(inputs, n), reference)).toBeGreaterThan(TOLERANCE);
  });
});

describe('the kernel', () => {
  it('gives each sample of a batch exactly what it gives that sample alone, call after call (buffers reused)', async () => {
    const { network } = await readInferenceArtifact(defaultModelDir());
    const n = 9;
    const inputs = randomInputs(network, n);
    const batch = network.predict(inputs, n);
    expect(Array.from(network.predict(inputs, n))).toEqual(Array.from(batch));
    for (let i = 0; i < n; i++) {
      const one = network.inputShapes.map((shape, k) =>
        inputs[k]!.slice(i * size(shape), (i + 1) * size(shape)),
      );
      expect(Array.from(network.predict(one, 1))).toEqual(Array.from(batch.subarray(i * 6, (i + 1) * 6)));
    }
  });

  it('refuses a layer type, a missing weight or a weight no layer reads, naming it', async () => {
    const { model } = await readArtifact(defaultModelDir());
    const saved = await savedNetworkOf(model);
    model.dispose();
    const text = JSON.stringify(saved.modelTopology);
    expect(() =>
      compileNetwork({
        ...saved,
        modelTopology: JSON.parse(text.replace('"class_name":"LSTM"', '"class_name":"GRU"')),
      }),
    ).toThrow(/layer lstm_LSTM1: GRU is not supported by the inference kernel/);
    expect(() =>
      compileNetwork({
        ...saved,
        weightSpecs: saved.weightSpecs.slice(0, -1),
        weightData: saved.weightData.slice(0, -64 * 6 * 4),
      }),
    ).toThrow(/weight dense_Dense3\/kernel is missing/);
    const extra = new Uint8Array(saved.weightData.byteLength + 8);
    extra.set(new Uint8Array(saved.weightData));
    expect(() =>
      compileNetwork({
        ...saved,
        weightSpecs: [...saved.weightSpecs, { name: 'stray/kernel', shape: [2], dtype: 'float32' }],
        weightData: extra.buffer,
      }),
    ).toThrow(/weights no layer on the output's path reads: stray\/kernel/);
    expect(() => compileNetwork({ ...saved, weightData: saved.weightData.slice(4) })).toThrow(/weight data/);
  });

  it('is loaded for inference without tfjs: no module reachable from runtime.ts imports @tensorflow', () => {
    const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // `import type` is erased (verbatimModuleSyntax): only value imports load a module.
      for (const match of text.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gms)) {
        const specifier = match[1]!;
        if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
        else bare.add(specifier);
      }
    };
    visit(join(src, 'runtime.ts'));
    expect(seen.has(join(src, 'model.ts'))).toBe(true);
    expect(seen.has(join(src, 'kernel/graph.ts'))).toBe(true);
    expect([...bare].filter((s) => s.includes('tensorflow'))).toEqual([]);
    expect([...seen].filter((f) => f.endsWith('tensorflow.ts') || f.endsWith('tfjs-kernel.ts'))).toEqual([]);
  });
});
