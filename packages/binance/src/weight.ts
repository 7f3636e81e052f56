/**
 * Binance counts request weight per IP per minute (`x-mbx-used-weight-1m`, reset at each minute).
 * This pacer keeps a client under its budget: below 80 % it never waits; above, it spreads the
 * remaining budget over the rest of the minute; at the budget it waits for the next minute.
 */
export class WeightPacer {
  private used = 0;
  private minute = -1;

  constructor(
    private readonly budget: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the exchange's own count from a response header. */
  observe(usedWeight1m: number): void {
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.used = usedWeight1m;
    } else {
      this.used = Math.max(this.used, usedWeight1m);
    }
  }

  get usedWeight(): number {
    return Math.floor(this.now() / 60_000) === this.minute ? this.used : 0;
  }

  /** How long to wait before sending a request of `weight`, in ms. */
  delayFor(weight: number): number {
    const now = this.now();
    const used = this.usedWeight;
    const soft = this.budget * 0.8;
    if (used < soft) return 0;
    const msLeft = 60_000 - (now % 60_000);
    if (used + weight > this.budget) return msLeft + 50;
    const requestsLeft = Math.max(1, (this.budget - used) / weight);
    return Math.ceil(msLeft / requestsLeft);
  }
}
