import { compileNetwork, type KernelNetwork, type KernelOptions, type SavedNetwork } from './kernel/index.ts';
import { tf } from './tensorflow.ts';

/**
 * A tfjs model as the bytes it would be saved as (model.json's topology, the weight specs and data),
 * without writing a file: what the kernel compiles. Used where a model exists only in memory (training
 * records its smoke check on the kernel, as `smoke` and `evaluate` later recompute it) and by the tests
 * that compare the kernel with tfjs.
 */
export async function savedNetworkOf(model: tf.LayersModel): Promise<SavedNetwork> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved?.weightSpecs || !saved.weightData) throw new Error('tfjs saved no weights');
  const data = saved.weightData;
  return {
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
    weightData: Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data,
  };
}

/** The inference kernel of an in-memory tfjs model. */
export async function kernelOf(model: tf.LayersModel, options?: KernelOptions): Promise<KernelNetwork> {
  return compileNetwork(await savedNetworkOf(model), options);
}
