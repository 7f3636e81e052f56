/**
 * The arithmetic of each layer type on float32 rows, batch-major and row-major (the layout of tfjs
 * tensors), with sums in doubles. Weights arrive pre-arranged by graph.ts (kernels transposed, so
 * every dot product reads contiguous memory).
 */
import type { Activation } from './activations.ts';

/**
 * out[r, j] = bias[j] + Σ_k x[r, k] · w[j, k] for `rows` rows of `inDim` values (`w` is the Dense
 * kernel transposed: `units` rows of `inDim`). Blocks of 4 rows × 2 units keep 8 sums in registers,
 * so each loaded value serves several products (~1.5× faster than one row at a time in V8).
 */
export function denseRows(
  x: Float32Array,
  rows: number,
  inDim: number,
  w: Float32Array,
  bias: Float32Array | undefined,
  units: number,
  out: Float32Array,
): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = r * inDim;
    const x1 = x0 + inDim;
    const x2 = x1 + inDim;
    const x3 = x2 + inDim;
    const o0 = r * units;
    const o1 = o0 + units;
    const o2 = o1 + units;
    const o3 = o2 + units;
    let j = 0;
    for (; j + 2 <= units; j += 2) {
      const wa = j * inDim;
      const wb = wa + inDim;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let k = 0; k < inDim; k++) {
        const u = w[wa + k]!;
        const v = w[wb + k]!;
        const p = x[x0 + k]!;
        const q = x[x1 + k]!;
        const s = x[x2 + k]!;
        const t = x[x3 + k]!;
        a0 += p * u;
        a1 += q * u;
        a2 += s * u;
        a3 += t * u;
        b0 += p * v;
        b1 += q * v;
        b2 += s * v;
        b3 += t * v;
      }
      const ba = bias ? bias[j]! : 0;
      const bb = bias ? bias[j + 1]! : 0;
      out[o0 + j] = a0 + ba;
      out[o1 + j] = a1 + ba;
      out[o2 + j] = a2 + ba;
      out[o3 + j] = a3 + ba;
      out[o0 + j + 1] = b0 + bb;
      out[o1 + j + 1] = b1 + bb;
      out[o2 + j + 1] = b2 + bb;
      out[o3 + j + 1] = b3 + bb;
    }
    for (; j < units; j++) {
      const wa = j * inDim;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let k = 0; k < inDim; k++) {
        const u = w[wa + k]!;
        a0 += x[x0 + k]! * u;
        a1 += x[x1 + k]! * u;
        a2 += x[x2 + k]! * u;
        a3 += x[x3 + k]! * u;
      }
      const ba = bias ? bias[j]! : 0;
      out[o0 + j] = a0 + ba;
      out[o1 + j] = a1 + ba;
      out[o2 + j] = a2 + ba;
      out[o3 + j] = a3 + ba;
    }
  }
  // The last rows (a single window, or a batch's remainder): 4 units share each input load.
  for (; r < rows; r++) {
    const x0 = r * inDim;
    const o = r * units;
    let j = 0;
    for (; j + 4 <= units; j += 4) {
      const wa = j * inDim;
      const wb = wa + inDim;
      const wc = wb + inDim;
      const wd = wc + inDim;
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      for (let k = 0; k < inDim; k++) {
        const p = x[x0 + k]!;
        a += p * w[wa + k]!;
        b += p * w[wb + k]!;
        c += p * w[wc + k]!;
        d += p * w[wd + k]!;
      }
      out[o + j] = a + (bias ? bias[j]! : 0);
      out[o + j + 1] = b + (bias ? bias[j + 1]! : 0);
      out[o + j + 2] = c + (bias ? bias[j + 2]! : 0);
      out[o + j + 3] = d + (bias ? bias[j + 3]! : 0);
    }
    for (; j < units; j++) {
      const wa = j * inDim;
      let s = 0;
      for (let k = 0; k < inDim; k++) s += x[x0 + k]! * w[wa + k]!;
      out[o + j] = s + (bias ? bias[j]! : 0);
    }
  }
}

/** A Dense layer over the last axis: `rows` = the batch × every leading axis. */
export function dense(
  x: Float32Array,
  rows: number,
  layer: {
    inDim: number;
    units: number;
    kernelT: Float32Array;
    bias?: Float32Array;
    activation?: Activation;
  },
  out: Float32Array,
): void {
  denseRows(x, rows, layer.inDim, layer.kernelT, layer.bias, layer.units, out);
  layer.activation?.(out, 0, rows * layer.units, layer.units);
}

export interface LstmWeights {
  steps: number;
  inDim: number;
  units: number;
  /** Input kernel transposed: 4·units rows of inDim (gates i, f, c, o as tfjs stores them). */
  kernelT: Float32Array;
  /** Recurrent kernel transposed: 4·units rows of units. */
  recurrentT: Float32Array;
  bias?: Float32Array;
  activation: (x: number) => number;
  recurrentActivation: (x: number) => number;
  returnSequences: boolean;
  goBackwards: boolean;
}

export interface LstmScratch {
  /** x · kernel + bias for every step of every sample: n × steps × 4·units. */
  projected: Float32Array;
  /** h · recurrent kernel of one step: n × 4·units. */
  recurrent: Float32Array;
  /** The cell state: n × units. */
  cell: Float32Array;
}

/**
 * tfjs' LSTM (tfjs-layers LSTMCell): z = x_t·W + h·U + b split into i, f, c, o;
 * i, f, o = recurrent_activation; c' = f·c + i·activation(z_c); h' = o·activation(c'). The state
 * starts at zero. `h` receives the last state; with return_sequences `sequence` receives every step's
 * state in the order processed (reversed input order with go_backwards, as tfjs returns it).
 */
export function lstm(
  x: Float32Array,
  n: number,
  p: LstmWeights,
  scratch: LstmScratch,
  h: Float32Array,
  sequence?: Float32Array,
): void {
  const { steps, units } = p;
  const gates = 4 * units;
  denseRows(x, n * steps, p.inDim, p.kernelT, p.bias, gates, scratch.projected);
  const { projected, recurrent, cell } = scratch;
  h.fill(0, 0, n * units);
  cell.fill(0, 0, n * units);
  const act = p.activation;
  const rec = p.recurrentActivation;
  for (let s = 0; s < steps; s++) {
    const t = p.goBackwards ? steps - 1 - s : s;
    denseRows(h, n, units, p.recurrentT, undefined, gates, recurrent);
    for (let b = 0; b < n; b++) {
      const z = (b * steps + t) * gates;
      const r = b * gates;
      const state = b * units;
      for (let u = 0; u < units; u++) {
        const i = rec(projected[z + u]! + recurrent[r + u]!);
        const f = rec(projected[z + units + u]! + recurrent[r + units + u]!);
        const g = act(projected[z + 2 * units + u]! + recurrent[r + 2 * units + u]!);
        const o = rec(projected[z + 3 * units + u]! + recurrent[r + 3 * units + u]!);
        const c = f * cell[state + u]! + i * g;
        cell[state + u] = c;
        h[state + u] = o * act(cell[state + u]!);
      }
      if (sequence) {
        const to = (b * steps + s) * units;
        for (let u = 0; u < units; u++) sequence[to + u] = h[state + u]!;
      }
    }
  }
}

// Copies are plain loops: a subarray() per run allocates, and the runs here are a few values long.

/**
 * Copies the box [begin, end) of each sample's tensor of `shape` (cropping layers): the innermost
 * axis is copied as contiguous runs.
 */
export function crop(
  x: Float32Array,
  n: number,
  shape: readonly number[],
  begin: readonly number[],
  end: readonly number[],
  out: Float32Array,
): void {
  const rank = shape.length;
  const inSize = shape.reduce((a, b) => a * b, 1);
  const outShape = shape.map((_, d) => end[d]! - begin[d]!);
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const run = outShape[rank - 1]!;
  const runs = outSize / run;
  const index = new Array<number>(rank).fill(0);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < runs; k++) {
      // index = the k-th position of the output's leading axes.
      let rest = k;
      for (let d = rank - 2; d >= 0; d--) {
        index[d] = rest % outShape[d]!;
        rest = Math.floor(rest / outShape[d]!);
      }
      let from = b * inSize + begin[rank - 1]!;
      for (let d = 0; d < rank - 1; d++) from += (index[d]! + begin[d]!) * strides[d]!;
      const to = b * outSize + k * run;
      for (let v = 0; v < run; v++) out[to + v] = x[from + v]!;
    }
  }
}

/** Concatenation along an axis: per sample, `outer` blocks, each the inputs' `widths` in order. */
export function concatenate(
  xs: readonly Float32Array[],
  n: number,
  outer: number,
  widths: readonly number[],
  out: Float32Array,
): void {
  const total = widths.reduce((a, b) => a + b, 0);
  let o = 0;
  for (let row = 0; row < n * outer; row++) {
    for (let i = 0; i < xs.length; i++) {
      const w = widths[i]!;
      const x = xs[i]!;
      const from = row * w;
      for (let v = 0; v < w; v++) out[o + v] = x[from + v]!;
      o += w;
    }
  }
  if (o !== n * outer * total) throw new Error('concatenate: sizes do not add up');
}

/** Elementwise sum of same-shaped inputs (the Add layer). */
export function add(xs: readonly Float32Array[], size: number, out: Float32Array): void {
  const first = xs[0]!;
  for (let k = 0; k < size; k++) {
    let s = first[k]!;
    for (let i = 1; i < xs.length; i++) s += xs[i]![k]!;
    out[k] = s;
  }
}
