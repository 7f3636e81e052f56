/**
 * The parts of a saved tfjs layers model (model.json's `modelTopology` and weights manifest) the
 * kernel reads: a functional model's layers, which tensors feed each of them, and the named float32
 * weights. Only what is needed is checked; anything the kernel cannot run is refused by graph.ts
 * with the layer's name.
 */

/** One entry of the weights manifest (tfjs `WeightsManifestEntry`). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/** A model as tfjs saves it: the topology JSON, the weight specs in order, and their bytes. */
export interface SavedNetwork {
  modelTopology: unknown;
  weightSpecs: readonly WeightSpec[];
  weightData: ArrayBuffer;
}

export interface TopologyLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** The layer names whose outputs feed this layer, in order. */
  inbound: string[];
}

export interface Topology {
  layers: TopologyLayer[];
  inputs: string[];
  outputs: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The layer a `[name, nodeIndex, tensorIndex, kwargs]` reference names; only single-output layers. */
function referencedLayer(ref: unknown, where: string): string {
  if (!Array.isArray(ref) || typeof ref[0] !== 'string') throw new Error(`${where}: bad tensor reference`);
  if ((ref[1] ?? 0) !== 0 || (ref[2] ?? 0) !== 0) {
    throw new Error(
      `${where}: shared layers and multi-output layers are not supported by the inference kernel`,
    );
  }
  return ref[0];
}

/** The functional graph of a saved tfjs model topology. */
export function parseTopology(modelTopology: unknown): Topology {
  // tfjs saves `{ class_name, config, keras_version, backend }`; Keras' converter nests it once more.
  const root =
    isRecord(modelTopology) && isRecord(modelTopology.model_config)
      ? modelTopology.model_config
      : modelTopology;
  if (!isRecord(root) || !isRecord(root.config)) throw new Error('the model topology has no config');
  if (root.class_name !== 'Model' && root.class_name !== 'Functional') {
    throw new Error(`a ${String(root.class_name)} model: the inference kernel runs functional models only`);
  }
  const { layers, input_layers: inputLayers, output_layers: outputLayers } = root.config;
  if (!Array.isArray(layers) || !Array.isArray(inputLayers) || !Array.isArray(outputLayers)) {
    throw new Error('the model topology lacks layers, input_layers or output_layers');
  }
  const parsed = layers.map((layer, i): TopologyLayer => {
    if (!isRecord(layer) || typeof layer.name !== 'string' || typeof layer.class_name !== 'string') {
      throw new Error(`layer ${i} of the model topology has no name or class_name`);
    }
    const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
    if (nodes.length > 1) throw new Error(`layer ${layer.name} is applied more than once (not supported)`);
    const node: unknown[] = nodes.length === 1 && Array.isArray(nodes[0]) ? nodes[0] : [];
    return {
      name: layer.name,
      className: layer.class_name,
      config: isRecord(layer.config) ? layer.config : {},
      inbound: node.map((ref) => referencedLayer(ref, `layer ${layer.name}`)),
    };
  });
  return {
    layers: parsed,
    inputs: inputLayers.map((ref) => referencedLayer(ref, 'input_layers')),
    outputs: outputLayers.map((ref) => referencedLayer(ref, 'output_layers')),
  };
}

/** The weights by name, as float32 views of `weightData` (not copies). */
export function weightsByName(saved: SavedNetwork): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const spec of saved.weightSpecs) {
    if (spec.dtype !== 'float32' || spec.quantization !== undefined) {
      throw new Error(
        `weight ${spec.name} is ${spec.dtype}${spec.quantization ? ' (quantized)' : ''}: the inference kernel reads float32 only`,
      );
    }
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (offset + size * 4 > saved.weightData.byteLength) {
      throw new Error(
        `the weight data ends before weight ${spec.name} (${saved.weightData.byteLength} bytes)`,
      );
    }
    out.set(spec.name, { shape: spec.shape, values: new Float32Array(saved.weightData, offset, size) });
    offset += size * 4;
  }
  if (offset !== saved.weightData.byteLength) {
    throw new Error(
      `the weight data has ${saved.weightData.byteLength} bytes, the manifest describes ${offset}`,
    );
  }
  return out;
}
