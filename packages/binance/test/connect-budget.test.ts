import { describe, expect, it } from 'vitest';
import { ConnectAttemptBudget } from '../src/index.ts';

describe('ConnectAttemptBudget', () => {
  it('allows max attempts per sliding window, then says how long to wait', () => {
    let now = 1_000_000;
    const budget = new ConnectAttemptBudget(3, 300_000, () => now);
    expect([budget.take(), budget.take()]).toEqual([0, 0]);
    now += 100_000;
    expect(budget.take()).toBe(0);
    expect(budget.used).toBe(3);
    // The 4th waits until the first leaves the window, and is not counted meanwhile.
    expect(budget.take()).toBe(200_000);
    now += 199_999;
    expect(budget.take()).toBe(1);
    now += 1;
    expect(budget.take()).toBe(0);
    // Both attempts of the first instant left the window; the one 100 s later and this one remain.
    expect(budget.used).toBe(2);
  });

  it('refuses a budget that allows nothing', () => {
    expect(() => new ConnectAttemptBudget(0)).toThrow(/max must be >= 1/);
    expect(() => new ConnectAttemptBudget(1, 0)).toThrow(/windowMs must be > 0/);
  });
});
