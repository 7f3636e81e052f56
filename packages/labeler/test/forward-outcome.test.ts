import { INTERVAL_MS } from '@regime/candles';
import { describe, expect, it } from 'vitest';
import { BAR_MS, FORWARD_STEPS, forwardOutcome, TRAILING_STEPS } from '../src/index.ts';

const T = Date.UTC(2024, 5, 1, 12);

/** Closes every 15 minutes from a function of the step (0 at T, negative before). */
const closes = (price: (step: number) => number) => (t: number) =>
  (t - T) % BAR_MS === 0 ? price((t - T) / BAR_MS) : undefined;

describe('forwardOutcome', () => {
  it('matches hand-computed values on a path of known returns', () => {
    // Before T: alternating ±1 % steps (trailing σ = ln(1.01)-ish); after T: +2 % for 12 steps, −2 % for 4.
    const log = (step: number): number => {
      if (step <= 0) return (Math.abs(step) % 2) * Math.log(1.01);
      return step <= 12 ? step * 0.02 : 12 * 0.02 - (step - 12) * 0.02;
    };
    const o = forwardOutcome(
      T,
      closes((s) => 100 * Math.exp(log(s))),
    )!;
    const trailing = Math.log(1.01); // every trailing step is ±ln(1.01)
    expect(o.volRatio).toBeCloseTo(0.02 / trailing, 9);
    expect(o.netSigma).toBeCloseTo(0.16 / (trailing * Math.sqrt(FORWARD_STEPS)), 9);
    expect(o.efficiency).toBeCloseTo(0.16 / 0.32, 9);
    expect(o.forwardReturn).toBeCloseTo(Math.exp(0.16) - 1, 12);
    // The last 4 hours before T (16 steps) net to 0 on the alternating path: no sign to continue.
    expect(o.continues).toBeNull();
  });

  it('says whether the next 4 hours continue the last 4 hours’ direction', () => {
    const up = forwardOutcome(
      T,
      closes((s) => 100 * Math.exp(0.001 * s)),
    )!;
    expect(up.continues).toBe(true);
    expect(up.efficiency).toBeCloseTo(1, 9);
    const reversal = forwardOutcome(
      T,
      closes((s) => 100 * Math.exp(-0.001 * Math.abs(s))),
    )!;
    expect(reversal.continues).toBe(false);
    expect(reversal.forwardReturn).toBeCloseTo(Math.exp(-0.016) - 1, 12);
  });

  it('is null when any 15-minute close it needs is missing', () => {
    const full = closes((s) => 100 + Math.sin(s));
    expect(forwardOutcome(T, full)).not.toBeNull();
    for (const hole of [T + FORWARD_STEPS * BAR_MS, T - TRAILING_STEPS * BAR_MS, T]) {
      expect(forwardOutcome(T, (t) => (t === hole ? undefined : full(t)))).toBeNull();
    }
    expect(() => forwardOutcome(T + 1, full)).toThrow(/5-minute/);
    expect(INTERVAL_MS['15m']).toBe(BAR_MS);
  });
});
