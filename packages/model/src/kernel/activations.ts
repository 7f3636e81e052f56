/**
 * The activations a saved tfjs layer may name, as tfjs-layers computes them (tfjs 4.22: hard_sigmoid is
 * clip(0.2 x + 0.5, 0, 1), softmax is over the last axis). Computed in doubles, stored in float32.
 */

/** An activation applied in place to `values[from, to)`, one row of `width` values at a time. */
export type Activation = (values: Float32Array, from: number, to: number, width: number) => void;

type Elementwise = (x: number) => number;

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

const ELEMENTWISE: Record<string, Elementwise> = {
  relu: (x) => (x > 0 ? x : 0),
  relu6: (x) => (x > 0 ? (x < 6 ? x : 6) : 0),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  hard_sigmoid: (x) => {
    const y = 0.2 * x + 0.5;
    return y < 0 ? 0 : y > 1 ? 1 : y;
  },
  tanh: Math.tanh,
  softplus: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  softsign: (x) => x / (1 + Math.abs(x)),
  swish: (x) => x / (1 + Math.exp(-x)),
};

/** The names an elementwise activation accepts (tfjs serialises them in snake case). */
const ALIASES: Record<string, string> = { hardSigmoid: 'hard_sigmoid' };

function softmax(values: Float32Array, from: number, to: number, width: number): void {
  for (let row = from; row < to; row += width) {
    let max = Number.NEGATIVE_INFINITY;
    for (let k = row; k < row + width; k++) if (values[k]! > max) max = values[k]!;
    let sum = 0;
    for (let k = row; k < row + width; k++) {
      const e = Math.exp(values[k]! - max);
      values[k] = e;
      sum += e;
    }
    for (let k = row; k < row + width; k++) values[k] = values[k]! / sum;
  }
}

/** The scalar function of an elementwise activation (what an LSTM's gates use); throws on others. */
export function elementwiseActivation(name: string): Elementwise | undefined {
  if (name === 'linear') return undefined;
  const f = ELEMENTWISE[ALIASES[name] ?? name];
  if (!f) throw new Error(`activation "${name}" is not supported by the inference kernel`);
  return f;
}

/** The in-place activation of a layer's output; `undefined` for linear (nothing to do). */
export function layerActivation(name: string | null | undefined): Activation | undefined {
  if (name === undefined || name === null || name === 'linear') return undefined;
  if (name === 'softmax') return softmax;
  const f = elementwiseActivation(name)!;
  return (values, from, to) => {
    for (let k = from; k < to; k++) values[k] = f(values[k]!);
  };
}
