import * as tf from '@tensorflow/tfjs';

export type TensorflowBackend = 'tensorflow' | 'wasm';

let ready: Promise<{ backend: TensorflowBackend }> | undefined;

// A variable specifier keeps TypeScript and bundlers from resolving the optional native package.
const NATIVE_PACKAGE = '@tensorflow/tfjs-node';

async function tryNative(): Promise<boolean> {
  try {
    await import(NATIVE_PACKAGE);
  } catch {
    return false;
  }
  return tf.setBackend('tensorflow');
}

/**
 * Selects the fastest available backend once per process: the native `@tensorflow/tfjs-node` when it
 * is installed (an optionalDependency: it needs a prebuilt libtensorflow), otherwise the WASM backend,
 * which runs everywhere and is several times faster than tfjs' pure-JS CPU backend.
 */
export function initTensorflow(): Promise<{ backend: TensorflowBackend }> {
  ready ??= (async () => {
    if (await tryNative()) return { backend: 'tensorflow' as const };
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs WASM backend failed to initialise');
    await tf.ready();
    return { backend: 'wasm' as const };
  })();
  return ready;
}

export { tf };
