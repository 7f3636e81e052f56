import { REGIME_COUNT } from '@regime/labeler';
import { describe, expect, it } from 'vitest';
import {
  ARGMAX_RULE,
  DECISION_F1_TOLERANCE,
  type DecisionRule,
  decideRegime,
  decideSamples,
  tuneDecisionRule,
} from '../src/decision.ts';
import { argmaxRows } from '../src/metrics.ts';

/** Rows of probabilities where `top` gets `p` and the rest share 1 − p. */
function rows(tops: readonly number[], p = 0.6): Float64Array {
  const out = new Float64Array(tops.length * REGIME_COUNT);
  tops.forEach((top, r) => {
    for (let s = 0; s < REGIME_COUNT; s++)
      out[r * REGIME_COUNT + s] = s === top ? p : (1 - p) / (REGIME_COUNT - 1);
  });
  return out;
}

const STRIDE = 15 * 60_000;
const clockOf = (n: number) => ({
  asOf: Array.from({ length: n }, (_, i) => i * STRIDE),
  symbolIndex: new Array(n).fill(0),
  strideMs: STRIDE,
});

describe('decision layer', () => {
  const sticky: DecisionRule = { windows: 4, spacingMinutes: 15, switchCost: 3 };

  it('is the argmax with one window', () => {
    expect(decideRegime(rows([3]), 1, ARGMAX_RULE)).toBe(3);
  });

  it('holds a regime through one disagreeing window, and follows a lasting change', () => {
    // −ln(0.6) vs −ln(0.08): one disagreeing window costs 2.0, less than one switch (3); two cost 4.
    expect(decideRegime(rows([2, 2, 2, 5]), 4, sticky)).toBe(2);
    expect(decideRegime(rows([2, 2, 5, 5]), 4, sticky)).toBe(5);
    expect(decideRegime(rows([2, 2, 2, 5]), 4, { ...sticky, switchCost: 0 })).toBe(5);
  });

  it("decides each sample from its own symbol's earlier samples only, cut at gaps", () => {
    const tops = [1, 1, 1, 4, 4, 4, 1, 4];
    const p = rows(tops);
    const clock = clockOf(tops.length);
    const decided = decideSamples(p, clock, sticky);
    tops.forEach((_, i) => {
      const from = Math.max(0, i - sticky.windows + 1);
      expect(decided[i]).toBe(
        decideRegime(p.subarray(from * REGIME_COUNT, (i + 1) * REGIME_COUNT), i - from + 1, sticky),
      );
    });
    // Another symbol's samples never feed the decision.
    const twoSymbols = { ...clock, symbolIndex: [0, 0, 0, 1, 1, 1, 1, 1] };
    expect(decideSamples(p, twoSymbols, sticky)[3]).toBe(4);
    expect(() => decideSamples(p, { ...clock, strideMs: 60 * 60_000 }, sticky)).toThrow(/stride/);
  });

  it('tunes on validation: never worse than the argmax by more than the tolerance, fewer switches when it can', () => {
    // Labels hold for 8 instants; the answers are right but flicker for one instant at a time.
    const labels = Uint8Array.from({ length: 96 }, (_, i) => (Math.floor(i / 8) % 2 === 0 ? 0 : 3));
    const tops = Array.from(labels, (l, i) => (i % 8 === 4 ? (l === 0 ? 3 : 0) : l));
    const p = rows(tops, 0.5);
    const tuned = tuneDecisionRule(p, labels, clockOf(96));
    expect(tuned.chosen.macroF1).toBeGreaterThanOrEqual(tuned.argmax.macroF1 - DECISION_F1_TOLERANCE);
    expect(tuned.chosen.switchesPerDay).toBeLessThan(tuned.argmax.switchesPerDay);
    expect(tuned.rule.windows).toBeGreaterThan(1);
    // Answers that never flicker leave nothing to gain: the argmax stays.
    const clean = tuneDecisionRule(rows(Array.from(labels)), labels, clockOf(96));
    expect(clean.rule.windows).toBe(1);
    expect(Array.from(argmaxRows(rows(Array.from(labels))))).toEqual(Array.from(labels));
  });
});
