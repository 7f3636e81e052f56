/**
 * Binance allows 300 WebSocket connection attempts per 5 minutes per IP; past that it refuses them
 * and may ban the IP. A budget counts the attempts of every connection that shares it (one per
 * KlineStream by default; pass one instance to several streams of a process to share it) over a
 * sliding window, and says how long an attempt must wait.
 */
export class ConnectAttemptBudget {
  private readonly attempts: number[] = [];

  constructor(
    readonly max = 300,
    readonly windowMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!(Number.isInteger(max) && max >= 1))
      throw new Error(`connect attempt budget: max must be >= 1, got ${max}`);
    if (!(windowMs > 0)) throw new Error(`connect attempt budget: windowMs must be > 0, got ${windowMs}`);
  }

  /**
   * 0: the attempt may go ahead now, and is counted. Otherwise the wall ms until the oldest counted
   * attempt leaves the window (nothing is counted: ask again then).
   */
  take(): number {
    const now = this.now();
    while (this.attempts.length > 0 && this.attempts[0]! <= now - this.windowMs) this.attempts.shift();
    if (this.attempts.length < this.max) {
      this.attempts.push(now);
      return 0;
    }
    return this.attempts[0]! + this.windowMs - now;
  }

  /** Attempts counted in the current window. */
  get used(): number {
    const now = this.now();
    return this.attempts.filter((t) => t > now - this.windowMs).length;
  }
}
