import { describe, expect, it } from 'vitest';
import { tuneDecisionBias } from '../src/decision-bias.ts';
import { macroF1 } from '../src/metrics.ts';
import { seededRandom } from '../src/rng.ts';

describe('tuneDecisionBias', () => {
  // Class 1 is systematically under-scored: its samples give it 0.3 while class 0 gets 0.4.
  const random = seededRandom(3);
  const n = 600;
  const labels = new Uint8Array(n);
  const p = new Float64Array(n * 6);
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    labels[i] = y;
    const row = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    if (y === 0) row[0] = 0.5;
    if (y === 1) {
      row[0] = 0.4;
      row[1] = 0.3;
    }
    if (y === 2) row[2] = 0.5 + 0.1 * random();
    const sum = row.reduce((a, b) => a + b, 0);
    row.forEach((v, k) => {
      p[i * 6 + k] = v / sum;
    });
  }

  it('finds logit offsets that raise macro-F1 and reports before/after honestly', () => {
    const { offsets, before, after } = tuneDecisionBias(p, labels);
    expect(after).toBeGreaterThan(before);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]!).toBeGreaterThan(0);
    const predicted = Uint8Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let k = 1; k < 6; k++) {
        if (Math.log(p[i * 6 + k]!) + offsets[k]! > Math.log(p[i * 6 + best]!) + offsets[best]!) best = k;
      }
      return best;
    });
    expect(macroF1(labels, predicted)).toBeCloseTo(after, 12);
  });

  it('is deterministic', () => {
    expect(tuneDecisionBias(p, labels)).toEqual(tuneDecisionBias(p, labels));
  });
});
