/**
 * Compiles a saved tfjs functional model into a list of steps over preallocated float32 buffers: a
 * small interpreter of the layer topology, so a new network built from the same layer types runs
 * without a line of code here. Buffers are allocated once, for `capacity` samples; larger batches
 * run in chunks of `capacity`. Reshape, Flatten and Dropout (identity at inference) reuse their
 * input's buffer.
 */
import { elementwiseActivation, layerActivation } from './activations.ts';
import { add, concatenate, crop, dense, type LstmWeights, lstm } from './layers.ts';
import { parseTopology, type SavedNetwork, type TopologyLayer, weightsByName } from './topology.ts';

/** A tensor of the graph: its buffer slot and its shape without the batch axis. */
interface Node {
  slot: number;
  shape: number[];
}

type Step = (buffers: Float32Array[], n: number) => void;

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Dense and LSTM kernels are stored [in, out]; the kernel reads [out, in] (contiguous dot products). */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/** Normalises an axis given against the shape with the batch axis (tfjs' convention) to one without it. */
function sampleAxis(axis: unknown, rank: number, layer: string): number {
  const a = typeof axis === 'number' ? axis : -1;
  const resolved = a < 0 ? rank + a : a - 1;
  if (!Number.isInteger(resolved) || resolved < 0 || resolved >= rank) {
    throw new Error(`layer ${layer}: axis ${String(axis)} is the batch axis or out of range`);
  }
  return resolved;
}

/** [[before, after], …] per axis from a cropping config (an int, a pair, or a pair per axis). */
function croppingPairs(cropping: unknown, axes: number, layer: string): [number, number][] {
  const pair = (v: unknown): [number, number] => {
    if (typeof v === 'number') return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number'))
      return [v[0] as number, v[1] as number];
    throw new Error(`layer ${layer}: cannot read cropping ${JSON.stringify(cropping)}`);
  };
  if (typeof cropping === 'number') return new Array(axes).fill([cropping, cropping]);
  if (Array.isArray(cropping) && cropping.length === axes) return cropping.map(pair);
  throw new Error(`layer ${layer}: cannot read cropping ${JSON.stringify(cropping)}`);
}

export interface KernelOptions {
  /** Samples one call computes at once; buffers are sized for it (default 256). */
  capacity?: number;
}

export class KernelNetwork {
  /** The model's input names, in the order `predict` takes them. */
  readonly inputNames: readonly string[];
  /** Each input's shape without the batch axis. */
  readonly inputShapes: readonly (readonly number[])[];
  /** The output's shape without the batch axis. */
  readonly outputShape: readonly number[];
  readonly capacity: number;
  private readonly buffers: Float32Array[];
  private readonly steps: readonly Step[];
  private readonly inputSlots: readonly number[];
  private readonly outputSlot: number;
  private readonly inputSizes: readonly number[];
  private readonly outputSize: number;

  constructor(saved: SavedNetwork, options: KernelOptions = {}) {
    const capacity = options.capacity ?? 256;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`capacity ${capacity} is not a positive integer`);
    this.capacity = capacity;
    const topology = parseTopology(saved.modelTopology);
    if (topology.outputs.length !== 1) {
      throw new Error(`the model has ${topology.outputs.length} outputs; the inference kernel runs one`);
    }
    const weights = weightsByName(saved);
    const used = new Set<string>();
    const weight = (layer: string, name: string, shape: number[]) => {
      const key = `${layer}/${name}`;
      const w = weights.get(key);
      if (!w) throw new Error(`layer ${layer}: weight ${key} is missing`);
      if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`layer ${layer}: weight ${key} is [${w.shape}], expected [${shape}]`);
      }
      used.add(key);
      return w.values;
    };
    const byName = new Map(topology.layers.map((l) => [l.name, l]));
    const nodes = new Map<string, Node>();
    const sizes: number[] = [];
    const steps: Step[] = [];
    const buffer = (shape: readonly number[]) => sizes.push(product(shape)) - 1;

    const build = (layer: TopologyLayer, inputs: Node[]): Node => {
      const { name, config } = layer;
      const one = () => {
        if (inputs.length !== 1) throw new Error(`layer ${name} takes one input, it has ${inputs.length}`);
        return inputs[0]!;
      };
      switch (layer.className) {
        case 'Dropout':
        case 'SpatialDropout1D':
        case 'GaussianDropout':
        case 'GaussianNoise':
          return one();
        case 'Flatten':
          return { slot: one().slot, shape: [product(one().shape)] };
        case 'Reshape': {
          const x = one();
          // tfjs saves the target shape resolved (a -1 does not survive its symbolic apply).
          const target = (config.target_shape as number[]).slice();
          if (product(target) !== product(x.shape) || !target.every((d) => Number.isInteger(d) && d > 0)) {
            throw new Error(`layer ${name}: cannot reshape [${x.shape}] to [${config.target_shape}]`);
          }
          return { slot: x.slot, shape: target };
        }
        case 'Dense': {
          const x = one();
          const inDim = x.shape[x.shape.length - 1]!;
          const units = config.units as number;
          const params = {
            inDim,
            units,
            kernelT: transpose(weight(name, 'kernel', [inDim, units]), inDim, units),
            bias: config.use_bias === false ? undefined : weight(name, 'bias', [units]),
            activation: layerActivation(config.activation as string | undefined),
          };
          const shape = [...x.shape.slice(0, -1), units];
          const rows = product(x.shape.slice(0, -1));
          const out = buffer(shape);
          steps.push((b, n) => dense(b[x.slot]!, n * rows, params, b[out]!));
          return { slot: out, shape };
        }
        case 'Activation': {
          const x = one();
          const activation = layerActivation(config.activation as string);
          const size = product(x.shape);
          const width = x.shape[x.shape.length - 1]!;
          const out = buffer(x.shape);
          steps.push((b, n) => {
            b[out]!.set(b[x.slot]!.subarray(0, n * size));
            activation?.(b[out]!, 0, n * size, width);
          });
          return { slot: out, shape: x.shape };
        }
        case 'LSTM': {
          const x = one();
          if (x.shape.length !== 2)
            throw new Error(`layer ${name}: LSTM input [${x.shape}] is not [steps, features]`);
          if (config.stateful || config.return_state) {
            throw new Error(`layer ${name}: stateful LSTMs and return_state are not supported`);
          }
          const [stepCount, inDim] = x.shape as [number, number];
          const units = config.units as number;
          const gates = 4 * units;
          const activation =
            elementwiseActivation((config.activation as string) ?? 'tanh') ?? ((v: number) => v);
          const recurrentActivation =
            elementwiseActivation((config.recurrent_activation as string) ?? 'hard_sigmoid') ??
            ((v: number) => v);
          const params: LstmWeights = {
            steps: stepCount,
            inDim,
            units,
            kernelT: transpose(weight(name, 'kernel', [inDim, gates]), inDim, gates),
            recurrentT: transpose(weight(name, 'recurrent_kernel', [units, gates]), units, gates),
            bias: config.use_bias === false ? undefined : weight(name, 'bias', [gates]),
            activation,
            recurrentActivation,
            returnSequences: config.return_sequences === true,
            goBackwards: config.go_backwards === true,
          };
          const projected = buffer([stepCount, gates]);
          const recurrent = buffer([gates]);
          const cell = buffer([units]);
          const h = buffer([units]);
          const shape = params.returnSequences ? [stepCount, units] : [units];
          const sequence = params.returnSequences ? buffer(shape) : undefined;
          steps.push((b, n) =>
            lstm(
              b[x.slot]!,
              n,
              params,
              { projected: b[projected]!, recurrent: b[recurrent]!, cell: b[cell]! },
              b[h]!,
              sequence === undefined ? undefined : b[sequence],
            ),
          );
          return { slot: sequence ?? h, shape };
        }
        case 'Cropping2D': {
          const x = one();
          const axes = 2;
          if (x.shape.length !== axes + 1)
            throw new Error(`layer ${name}: input [${x.shape}] is not ${axes}D + channels`);
          if (config.data_format === 'channels_first')
            throw new Error(`layer ${name}: channels_first is not supported`);
          const pairs = croppingPairs(config.cropping, axes, name);
          const begin = [...pairs.map((p) => p[0]), 0];
          const end = [...pairs.map((p, d) => x.shape[d]! - p[1]), x.shape[axes]!];
          const shape = end.map((e, d) => e - begin[d]!);
          if (shape.some((d) => d <= 0))
            throw new Error(`layer ${name}: cropping leaves nothing of [${x.shape}]`);
          const out = buffer(shape);
          steps.push((b, n) => crop(b[x.slot]!, n, x.shape, begin, end, b[out]!));
          return { slot: out, shape };
        }
        case 'Concatenate': {
          if (inputs.length < 2) throw new Error(`layer ${name} concatenates ${inputs.length} input`);
          const rank = inputs[0]!.shape.length;
          const axis = sampleAxis(config.axis, rank, name);
          for (const input of inputs) {
            if (
              input.shape.length !== rank ||
              input.shape.some((d, i) => i !== axis && d !== inputs[0]!.shape[i])
            ) {
              throw new Error(
                `layer ${name}: shapes ${inputs.map((i) => `[${i.shape}]`).join(', ')} differ off axis ${axis}`,
              );
            }
          }
          const outer = product(inputs[0]!.shape.slice(0, axis));
          const inner = product(inputs[0]!.shape.slice(axis + 1));
          const widths = inputs.map((i) => i.shape[axis]! * inner);
          const shape = inputs[0]!.shape.slice();
          shape[axis] = inputs.reduce((sum, i) => sum + i.shape[axis]!, 0);
          const out = buffer(shape);
          steps.push((b, n) =>
            concatenate(
              inputs.map((i) => b[i.slot]!),
              n,
              outer,
              widths,
              b[out]!,
            ),
          );
          return { slot: out, shape };
        }
        case 'Add': {
          const shape = inputs[0]!.shape;
          if (inputs.some((i) => i.shape.length !== shape.length || i.shape.some((d, k) => d !== shape[k]))) {
            throw new Error(`layer ${name}: shapes ${inputs.map((i) => `[${i.shape}]`).join(', ')} differ`);
          }
          const size = product(shape);
          const out = buffer(shape);
          steps.push((b, n) =>
            add(
              inputs.map((i) => b[i.slot]!),
              n * size,
              b[out]!,
            ),
          );
          return { slot: out, shape };
        }
        default:
          throw new Error(`layer ${name}: ${layer.className} is not supported by the inference kernel`);
      }
    };

    const inputSlots: number[] = [];
    const inputShapes: number[][] = [];
    for (const input of topology.inputs) {
      const layer = byName.get(input);
      if (layer?.className !== 'InputLayer') throw new Error(`model input ${input} is not an InputLayer`);
      const config = layer.config;
      const batchShape = (config.batch_input_shape ?? config.batch_shape) as (number | null)[] | undefined;
      const shape = batchShape?.slice(1);
      if (!shape?.every((d): d is number => typeof d === 'number' && d > 0)) {
        throw new Error(`model input ${input} has no fixed shape: [${batchShape}]`);
      }
      const slot = sizes.push(0) - 1; // set to the caller's arrays on every call
      nodes.set(input, { slot, shape });
      inputSlots.push(slot);
      inputShapes.push(shape);
    }
    const visiting = new Set<string>();
    const resolve = (layerName: string): Node => {
      const known = nodes.get(layerName);
      if (known) return known;
      const layer = byName.get(layerName);
      if (!layer) throw new Error(`the topology references an unknown layer ${layerName}`);
      if (visiting.has(layerName)) throw new Error(`the topology has a cycle through ${layerName}`);
      visiting.add(layerName);
      const node = build(layer, layer.inbound.map(resolve));
      nodes.set(layerName, node);
      return node;
    };
    const output = resolve(topology.outputs[0]!);
    const unused = [...weights.keys()].filter((k) => !used.has(k));
    if (unused.length > 0)
      throw new Error(`weights no layer on the output's path reads: ${unused.join(', ')}`);
    this.inputNames = topology.inputs;
    this.inputShapes = inputShapes;
    this.inputSlots = inputSlots;
    this.inputSizes = inputShapes.map(product);
    this.outputShape = output.shape;
    this.outputSize = product(output.shape);
    this.outputSlot = output.slot;
    this.steps = steps;
    this.buffers = sizes.map((size) => new Float32Array(size * capacity));
  }

  /**
   * The outputs of `count` samples (count × output size), written to `out` (allocated when not
   * given). `inputs` are in `inputNames` order, each at least count × its size, row-major.
   */
  predict(inputs: readonly Float32Array[], count: number, out?: Float32Array): Float32Array {
    if (inputs.length !== this.inputSlots.length) {
      throw new Error(
        `the network takes ${this.inputSlots.length} inputs (${this.inputNames.join(', ')}), got ${inputs.length}`,
      );
    }
    inputs.forEach((input, i) => {
      if (input.length < count * this.inputSizes[i]!) {
        throw new Error(
          `input ${this.inputNames[i]} holds ${input.length} values, ${count} samples need ${count * this.inputSizes[i]!}`,
        );
      }
    });
    const result = out ?? new Float32Array(count * this.outputSize);
    if (result.length < count * this.outputSize)
      throw new Error(`the output array is too small for ${count} samples`);
    const { buffers, capacity } = this;
    for (let start = 0; start < count; start += capacity) {
      const n = Math.min(capacity, count - start);
      this.inputSlots.forEach((slot, i) => {
        const size = this.inputSizes[i]!;
        buffers[slot] = inputs[i]!.subarray(start * size, (start + n) * size);
      });
      for (const step of this.steps) step(buffers, n);
      result.set(buffers[this.outputSlot]!.subarray(0, n * this.outputSize), start * this.outputSize);
    }
    return result;
  }
}

/** The kernel of a saved tfjs functional model (see KernelNetwork). */
export function compileNetwork(saved: SavedNetwork, options?: KernelOptions): KernelNetwork {
  return new KernelNetwork(saved, options);
}
