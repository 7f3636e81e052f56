/**
 * The last `capacity` committed values of a series, oldest first.
 *
 * Windowed indicators keep `window − 1` committed values and treat the incoming value as the
 * newest element, so the same arithmetic serves `peek` (value not committed) and `update`.
 * Statistics are recomputed over the fixed window (≤ 20 values) instead of kept as running sums:
 * running sums of squares of prices near 1e5 lose precision through cancellation and drift over
 * long streams, and the streaming output must equal the batch computation to 1e-9.
 */
export class RingBuffer {
  private readonly values: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** k = 0 is the oldest value held. */
  get(k: number): number {
    return this.values[(this.start + k) % this.capacity]!;
  }

  /**
   * The held values in storage order (not time order), for order-free statistics (sum, max, min)
   * without a modulo per element. Only the first `size` entries are meaningful.
   */
  get storage(): Float64Array {
    return this.values;
  }

  push(x: number): void {
    if (this.capacity === 0) return;
    if (this.count < this.capacity) {
      this.values[(this.start + this.count) % this.capacity] = x;
      this.count++;
    } else {
      this.values[this.start] = x;
      this.start = (this.start + 1) % this.capacity;
    }
  }
}
