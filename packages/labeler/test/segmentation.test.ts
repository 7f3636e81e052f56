import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CostMatrix, filterStates, segmentStates, switchCount } from '../src/index.ts';

/** A cost matrix from rows of per-state costs. */
const matrix = (rows: number[][]): CostMatrix => ({
  costs: Float64Array.from(rows.flat()),
  states: rows[0]!.length,
});

/** Total cost + λ × switches of a state sequence. */
function objective(m: CostMatrix, states: ArrayLike<number>, lambda: number): number {
  let total = 0;
  for (let t = 0; t < states.length; t++) total += m.costs[t * m.states + states[t]!]!;
  return total + lambda * switchCount(states);
}

/** The minimum objective over every state sequence, by enumeration (small cases only). */
function bruteForceMinimum(m: CostMatrix, lambda: number): number {
  const bars = m.costs.length / m.states;
  let best = Number.POSITIVE_INFINITY;
  const path = new Array<number>(bars).fill(0);
  const visit = (t: number) => {
    if (t === bars) {
      best = Math.min(best, objective(m, path, lambda));
      return;
    }
    for (let s = 0; s < m.states; s++) {
      path[t] = s;
      visit(t + 1);
    }
  };
  visit(0);
  return best;
}

const smallMatrix = fc
  .record({ states: fc.integer({ min: 1, max: 3 }), bars: fc.integer({ min: 1, max: 7 }) })
  .chain(({ states, bars }) =>
    fc
      .array(fc.double({ min: 0, max: 5, noNaN: true }), {
        minLength: states * bars,
        maxLength: states * bars,
      })
      .map((costs) => ({ costs: Float64Array.from(costs), states })),
  );

describe('segmentStates (the labels)', () => {
  it('keeps one state through a short excursion that costs less than two switches', () => {
    // Bars 2..3 fit state 1 better by 1 each: 2 < 2 × λ, so staying in 0 is cheaper.
    const m = matrix([
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
    expect([...segmentStates(m, 1.5)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('switches once when the new state fits better for longer than λ', () => {
    const m = matrix([
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
    expect([...segmentStates(m, 1.5)]).toEqual([0, 0, 1, 1, 1, 1]);
  });

  it('is the per-bar argmin when switching is free', () => {
    fc.assert(
      fc.property(smallMatrix, (m) => {
        const got = segmentStates(m, 0);
        for (let t = 0; t < got.length; t++) {
          const row = [...m.costs.subarray(t * m.states, (t + 1) * m.states)];
          expect(row[got[t]!]).toBe(Math.min(...row));
        }
      }),
    );
  });

  it('reaches the minimum of cost + λ × switches over every state sequence', () => {
    fc.assert(
      fc.property(smallMatrix, fc.double({ min: 0, max: 4, noNaN: true }), (m, lambda) => {
        const got = objective(m, segmentStates(m, lambda), lambda);
        expect(Math.abs(got - bruteForceMinimum(m, lambda))).toBeLessThan(1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses non-finite costs and a negative switching cost', () => {
    expect(() => segmentStates(matrix([[0, Number.NaN]]), 1)).toThrow(/not finite/);
    expect(() => segmentStates(matrix([[0, 1]]), -1)).toThrow(/≥ 0/);
    expect(() => segmentStates({ costs: new Float64Array(5), states: 2 }, 1)).toThrow(/whole number/);
  });
});

describe('filterStates (the causal baseline)', () => {
  it('never reads past t: changing later bars changes no earlier state', () => {
    fc.assert(
      fc.property(
        smallMatrix,
        fc.integer({ min: 0, max: 6 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (m, cut, lambda) => {
          const bars = m.costs.length / m.states;
          const at = Math.min(cut, bars - 1);
          const changed = Float64Array.from(m.costs, (c, i) => (i >= (at + 1) * m.states ? 5 - c : c));
          const before = filterStates(m, lambda).subarray(0, at + 1);
          expect([...filterStates({ costs: changed, states: m.states }, lambda).subarray(0, at + 1)]).toEqual(
            [...before],
          );
        },
      ),
    );
  });

  it('is the last state of the best segmentation of the bars up to t', () => {
    fc.assert(
      fc.property(smallMatrix, fc.double({ min: 0, max: 3, noNaN: true }), (m, lambda) => {
        const causal = filterStates(m, lambda);
        const bars = m.costs.length / m.states;
        for (let t = 0; t < bars; t++) {
          const prefix = { costs: m.costs.subarray(0, (t + 1) * m.states), states: m.states };
          const best = bruteForceMinimum(prefix, lambda);
          // Some optimal segmentation of bars 0..t ends in the causal state.
          const ending = segmentStates(prefix, lambda);
          expect(Math.abs(objective(prefix, ending, lambda) - best)).toBeLessThan(1e-9);
          expect(ending[t]).toBe(causal[t]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lags a switch that the full segmentation places at its start', () => {
    const m = matrix([
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
    expect([...filterStates(m, 1.5)]).toEqual([0, 0, 0, 1, 1, 1]);
  });
});
