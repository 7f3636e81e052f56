import { REGIME_COUNT } from '@regime/labeler';
import { describe, expect, it } from 'vitest';
import {
  ARGMAX_RULE,
  type DecisionRule,
  decideRegime,
  decideSamples,
  SWITCH_LIMIT_FACTOR,
  tuneDecisionRule,
} from '../src/decision.ts';
import { switchesPerDay } from '../src/stability.ts';

/** Rows of probabilities where `top` gets `p` and the rest share 1 − p. */
function rows(tops: readonly number[], p = 0.6): Float64Array {
  const out = new Float64Array(tops.length * REGIME_COUNT);
  tops.forEach((top, r) => {
    for (let s = 0; s < REGIME_COUNT; s++)
      out[r * REGIME_COUNT + s] = s === top ? p : (1 - p) / (REGIME_COUNT - 1);
  });
  return out;
}

/** One row from a few named probabilities; the rest share what is left. */
function row(probabilities: Record<number, number>): number[] {
  const given = Object.values(probabilities).reduce((a, b) => a + b, 0);
  const others = REGIME_COUNT - Object.keys(probabilities).length;
  return Array.from({ length: REGIME_COUNT }, (_, s) => probabilities[s] ?? (1 - given) / others);
}

const STRIDE = 15 * 60_000;
const clockOf = (n: number) => ({
  asOf: Array.from({ length: n }, (_, i) => i * STRIDE),
  symbolIndex: new Array(n).fill(0),
  strideMs: STRIDE,
});

describe('decision layer (hysteresis)', () => {
  const sticky: DecisionRule = { windows: 4, spacingMinutes: 15, margin: 0.2 };

  it('is the argmax with one window or no margin', () => {
    expect(decideRegime(rows([3]), 1, ARGMAX_RULE)).toBe(3);
    const flips = Float64Array.from([...row({ 2: 0.5, 5: 0.3 }), ...row({ 2: 0.35, 5: 0.45 })]);
    expect(decideRegime(flips, 2, { ...sticky, margin: 0 })).toBe(5);
  });

  it('keeps the written regime until another beats it by the margin, then follows it', () => {
    const held = Float64Array.from([...row({ 2: 0.5, 5: 0.3 }), ...row({ 2: 0.35, 5: 0.45 })]);
    expect(decideRegime(held, 2, sticky)).toBe(2); // 5 leads by 0.10 < 0.2
    const switched = Float64Array.from([...held, ...row({ 2: 0.1, 5: 0.7 })]);
    expect(decideRegime(switched, 3, sticky)).toBe(5); // leads by 0.6
    // Once switched, a small lead of the old regime does not switch back.
    const back = Float64Array.from([...switched, ...row({ 2: 0.45, 5: 0.35 })]);
    expect(decideRegime(back, 4, sticky)).toBe(5);
    // It starts from the argmax of the oldest row it is given.
    expect(decideRegime(Float64Array.from(row({ 2: 0.35, 5: 0.45 })), 1, sticky)).toBe(5);
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
    // A gap (instant 4 missing) cuts the rows: sample 5 reads itself only.
    const gapped = { ...clock, asOf: clock.asOf.map((t, i) => (i >= 4 ? t + STRIDE : t)) };
    expect(decideSamples(p, gapped, { ...sticky, margin: 0.9 })[4]).toBe(4);
    expect(() => decideSamples(p, { ...clock, strideMs: 60 * 60_000 }, sticky)).toThrow(/stride/);
  });

  it('tunes on validation: the best macro-F1 within 1.5 × the labels’ switches, the argmax when it is calm', () => {
    // Labels hold for 24 instants; the answers are right and sure, but every 6th instant they flicker
    // to the other regime by a small lead.
    const labels = Uint8Array.from({ length: 240 }, (_, i) => (Math.floor(i / 24) % 2 === 0 ? 0 : 3));
    const answers = Float64Array.from(
      Array.from(labels).flatMap((l, i) => {
        const other = l === 0 ? 3 : 0;
        return i % 6 === 3 ? row({ [other]: 0.45, [l]: 0.35 }) : row({ [l]: 0.8 });
      }),
    );
    const clock = clockOf(240);
    const tuned = tuneDecisionRule(answers, labels, clock);
    expect(tuned.argmax.switchesPerDay).toBeGreaterThan(tuned.switchLimit);
    expect(tuned.switchLimit).toBeCloseTo(SWITCH_LIMIT_FACTOR * switchesPerDay(clock, labels), 9);
    expect(tuned.chosen.switchesPerDay).toBeLessThanOrEqual(tuned.switchLimit);
    expect(tuned.rule.windows).toBeGreaterThan(1);
    for (const g of tuned.grid)
      if (g.switchesPerDay <= tuned.switchLimit) expect(g.macroF1).toBeLessThanOrEqual(tuned.chosen.macroF1);
    // Answers that never flicker leave nothing to gain: the argmax stays.
    const clean = tuneDecisionRule(rows(Array.from(labels), 0.8), labels, clock);
    expect(clean.rule.windows).toBe(1);
    expect(clean.chosen).toEqual(clean.argmax);
  });
});
