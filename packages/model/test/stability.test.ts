import { describe, expect, it } from 'vitest';
import { detectionDelay, meanRunMinutes, type SampleClock, switchesPerDay } from '../src/stability.ts';

const STRIDE = 15 * 60_000;
/** One symbol, instants every 15 minutes, except where `holes` leaves some out. */
function clock(n: number, holes: number[] = []): SampleClock {
  const asOf: number[] = [];
  for (let k = 0; asOf.length < n; k++) if (!holes.includes(k)) asOf.push(k * STRIDE);
  return { asOf, symbolIndex: new Array(n).fill(0), strideMs: STRIDE };
}

describe('stability metrics', () => {
  it('counts switches per symbol-day, not across a gap or a change of symbol', () => {
    // 96 instants = 1 day; two switches.
    const regimes = [...new Array(40).fill(0), ...new Array(40).fill(1), ...new Array(16).fill(0)];
    expect(switchesPerDay(clock(96), regimes)).toBe(2);
    // A hole right at the first switch: that change is not between consecutive instants.
    expect(switchesPerDay(clock(96, [40]), regimes)).toBe(1);
    const twoSymbols = { ...clock(96), symbolIndex: [...new Array(40).fill(0), ...new Array(56).fill(1)] };
    expect(switchesPerDay(twoSymbols, regimes)).toBe(1);
  });

  it('gives the mean run in minutes, ending runs at gaps', () => {
    const regimes = [0, 0, 0, 0, 1, 1, 1, 1];
    expect(meanRunMinutes(clock(8), regimes)).toBe(60);
    expect(meanRunMinutes(clock(8, [2]), regimes)).toBe(40);
  });

  it('measures detection delay from each label switch to the first instant saying the new regime', () => {
    const labels = [0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
    const predicted = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    const d = detectionDelay(clock(10), labels, predicted);
    expect(d.switches).toBe(2);
    expect(d.detectedShare).toBe(1);
    expect(d.medianMinutes).toBe((30 + 15) / 2);
  });

  it('counts a switch never detected within its segment as a miss, and has no median when most are missed', () => {
    const labels = [0, 0, 1, 1, 2, 2, 0, 0];
    // Says 1 only after the label has moved on to 2: too late, a miss.
    const predicted = [0, 0, 0, 0, 1, 2, 0, 0];
    const d = detectionDelay(clock(8), labels, predicted);
    expect(d.switches).toBe(3);
    expect(d.detectedShare).toBeCloseTo(2 / 3);
    expect(d.medianMinutes).toBe(15);
    const mostly = detectionDelay(clock(8), labels, new Array(8).fill(0));
    expect(mostly.medianMinutes).toBeNull();
  });
});
