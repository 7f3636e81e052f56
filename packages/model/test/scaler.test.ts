import { describe, expect, it } from 'vitest';
import { applyScaler, fitScaler } from '../src/scaler.ts';

describe('scaler', () => {
  const names = ['a', 'b', 'c'];
  // rows: (1, 10, 5), (3, 30, 5)
  const train = new Float32Array([1, 10, 5, 3, 30, 5]);

  it('fits per-feature mean and std over all rows, leaving constant columns unscaled', () => {
    const s = fitScaler(train, names);
    expect(s.mean).toEqual([2, 20, 5]);
    expect(s.std).toEqual([1, 10, 1]);
    expect(s.featureNames).toEqual(names);
  });

  it('standardises and clips', () => {
    const s = fitScaler(train, names, 3);
    expect(Array.from(applyScaler(s, [2, 40, 5, 100, 0, 4]))).toEqual([0, 2, 0, 3, -2, -1]);
  });

  it('refuses a row of the wrong width', () => {
    const s = fitScaler(train, names);
    expect(() => applyScaler(s, [1, 2])).toThrow(/multiple of 3/);
  });
});
