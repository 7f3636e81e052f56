import { seededRandom } from '@regime/candles';
import { PERIODS_PER_YEAR } from './metrics.ts';

/** 5-minute steps in a day: the block of the bootstrap. */
export const STEPS_PER_DAY = 288;

export interface BootstrapOptions {
  /** Steps per block (one day). */
  blockSteps?: number;
  resamples?: number;
  /** Central coverage of the interval (0.9 = the 5th to the 95th percentile). */
  level?: number;
  seed?: number;
}

export const DEFAULT_BOOTSTRAP = { blockSteps: STEPS_PER_DAY, resamples: 10_000, level: 0.9, seed: 16 };

export interface SharpeDifference {
  /** Sharpe(a) − Sharpe(b) on the whole period (annualised as in the metrics). */
  difference: number;
  /** The bootstrap interval of the difference. */
  low: number;
  high: number;
}

/**
 * Sharpe(a) − Sharpe(b) of two return series on the same steps, with a paired block-bootstrap
 * interval: the period is cut into consecutive blocks of `blockSteps` steps (one day: returns are
 * dependent within a day, volatility clusters), blocks are drawn with replacement, the same blocks for
 * both series (their dependence on each other is kept), and the difference is recomputed on each
 * resample. A block is summarised by its count, sums and sums of squares, so a resample costs one
 * pass over the blocks, not over the steps.
 */
export function sharpeDifference(
  a: Float64Array,
  b: Float64Array,
  options: BootstrapOptions = {},
): SharpeDifference {
  const { blockSteps, resamples, level, seed } = { ...DEFAULT_BOOTSTRAP, ...options };
  if (a.length !== b.length) throw new Error(`series of ${a.length} and ${b.length} steps`);
  const blocks = Math.ceil(a.length / blockSteps);
  if (blocks < 2) throw new Error(`${a.length} steps make fewer than two blocks of ${blockSteps}`);
  const stats = new Float64Array(blocks * 5);
  for (let i = 0; i < a.length; i++) {
    const o = Math.floor(i / blockSteps) * 5;
    stats[o]!++;
    stats[o + 1]! += a[i]!;
    stats[o + 2]! += a[i]! * a[i]!;
    stats[o + 3]! += b[i]!;
    stats[o + 4]! += b[i]! * b[i]!;
  }
  const sharpe = (n: number, sum: number, squares: number) => {
    const variance = (squares - (sum * sum) / n) / (n - 1);
    return variance > 0 ? (sum / n / Math.sqrt(variance)) * Math.sqrt(PERIODS_PER_YEAR) : 0;
  };
  const differenceOf = (pick: (k: number) => number) => {
    let n = 0;
    let sa = 0;
    let qa = 0;
    let sb = 0;
    let qb = 0;
    for (let k = 0; k < blocks; k++) {
      const o = pick(k) * 5;
      n += stats[o]!;
      sa += stats[o + 1]!;
      qa += stats[o + 2]!;
      sb += stats[o + 3]!;
      qb += stats[o + 4]!;
    }
    return sharpe(n, sa, qa) - sharpe(n, sb, qb);
  };
  const random = seededRandom(seed);
  const draws = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) draws[r] = differenceOf(() => Math.floor(random() * blocks));
  draws.sort();
  const at = (q: number) => draws[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return { difference: differenceOf((k) => k), low: at((1 - level) / 2), high: at((1 + level) / 2) };
}
