/**
 * The Float32 inference kernel: a pure TypeScript forward pass of saved tfjs functional models made
 * of the layer types the artifact format allows (InputLayer, Dense, LSTM, Concatenate, Reshape,
 * Flatten, Cropping2D, Add, Activation, Dropout as identity). No tfjs here: tfjs trains the
 * models and is the reference the tests compare it with.
 */
export { compileNetwork, KernelNetwork, type KernelOptions } from './graph.ts';
export type { SavedNetwork, WeightSpec } from './topology.ts';
