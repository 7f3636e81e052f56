import { trueRange } from './true-range.ts';

/** 100·|+DI − −DI| / (+DI + −DI); 0 when there was no directional movement or no range (ta would give NaN forever after). */
function directionalIndex(tr: number, plusDm: number, minusDm: number): number {
  const plusDi = tr > 0 ? (100 * plusDm) / tr : 0;
  const minusDi = tr > 0 ? (100 * minusDm) / tr : 0;
  const sum = plusDi + minusDi;
  return sum > 0 ? (100 * Math.abs(plusDi - minusDi)) / sum : 0;
}

/**
 * ADX(n), Wilder, exactly as the StockCharts table and Python `ta`: TR/+DM/−DM start at candle 1;
 * at candle n they are the plain sums of n values, then S = S − S/n + x; DX from candle n on;
 * ADX at candle 2n − 1 is the mean of the first n DX, then ADX = (ADX·(n − 1) + DX)/n.
 */
export class Adx {
  private count = 0;
  private prevHigh = Number.NaN;
  private prevLow = Number.NaN;
  private prevClose = Number.NaN;
  private tr = 0;
  private plusDm = 0;
  private minusDm = 0;
  private dxSum = 0;
  private adx = Number.NaN;

  constructor(readonly window = 14) {}

  peek(high: number, low: number, close: number): number {
    return this.step(high, low, close, false);
  }

  update(high: number, low: number, close: number): number {
    return this.step(high, low, close, true);
  }

  private step(high: number, low: number, close: number, commit: boolean): number {
    const n = this.window;
    const i = this.count;
    let tr = this.tr;
    let plusDm = this.plusDm;
    let minusDm = this.minusDm;
    let dxSum = this.dxSum;
    let adx = this.adx;
    if (i > 0) {
      const trI = trueRange(high, low, this.prevClose);
      const up = high - this.prevHigh;
      const down = this.prevLow - low;
      const plusI = up > down && up > 0 ? up : 0;
      const minusI = down > up && down > 0 ? down : 0;
      if (i <= n) {
        tr += trI;
        plusDm += plusI;
        minusDm += minusI;
      } else {
        tr = tr - tr / n + trI;
        plusDm = plusDm - plusDm / n + plusI;
        minusDm = minusDm - minusDm / n + minusI;
      }
      if (i >= n) {
        const dx = directionalIndex(tr, plusDm, minusDm);
        if (i < 2 * n - 1) dxSum += dx;
        else if (i === 2 * n - 1) adx = (dxSum + dx) / n;
        else adx = (adx * (n - 1) + dx) / n;
      }
    }
    if (commit) {
      this.count = i + 1;
      this.prevHigh = high;
      this.prevLow = low;
      this.prevClose = close;
      this.tr = tr;
      this.plusDm = plusDm;
      this.minusDm = minusDm;
      this.dxSum = dxSum;
      this.adx = adx;
    }
    return i >= 2 * n - 1 ? adx : Number.NaN;
  }
}

export interface AdxSeries {
  plusDi: Float64Array;
  minusDi: Float64Array;
  dx: Float64Array;
  adx: Float64Array;
}

/** Batch ADX with the intermediate +DI, −DI and DX columns of the StockCharts table. */
export function adx(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  window = 14,
): AdxSeries {
  const len = close.length;
  const nan = () => new Float64Array(len).fill(Number.NaN);
  const out: AdxSeries = { plusDi: nan(), minusDi: nan(), dx: nan(), adx: nan() };
  let tr = 0;
  let plus = 0;
  let minus = 0;
  for (let i = 1; i < len; i++) {
    const trI = Math.max(high[i]!, close[i - 1]!) - Math.min(low[i]!, close[i - 1]!);
    const up = high[i]! - high[i - 1]!;
    const down = low[i - 1]! - low[i]!;
    const plusI = up > down && up > 0 ? up : 0;
    const minusI = down > up && down > 0 ? down : 0;
    if (i <= window) {
      tr += trI;
      plus += plusI;
      minus += minusI;
    } else {
      tr = tr - tr / window + trI;
      plus = plus - plus / window + plusI;
      minus = minus - minus / window + minusI;
    }
    if (i < window) continue;
    const plusDi = tr > 0 ? (100 * plus) / tr : 0;
    const minusDi = tr > 0 ? (100 * minus) / tr : 0;
    out.plusDi[i] = plusDi;
    out.minusDi[i] = minusDi;
    out.dx[i] = plusDi + minusDi > 0 ? (100 * Math.abs(plusDi - minusDi)) / (plusDi + minusDi) : 0;
  }
  const first = 2 * window - 1;
  if (len > first) {
    let sum = 0;
    for (let i = window; i <= first; i++) sum += out.dx[i]!;
    out.adx[first] = sum / window;
    for (let i = first + 1; i < len; i++) out.adx[i] = (out.adx[i - 1]! * (window - 1) + out.dx[i]!) / window;
  }
  return out;
}
