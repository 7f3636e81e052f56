/**
 * Running maximum (or minimum) of the last `window` committed values in amortised O(1): a monotonic
 * deque of (position, value). `extreme` is the max/min of those values (NaN when none committed).
 */
export class MonotonicWindow {
  private readonly values: Float64Array;
  private readonly positions: Float64Array;
  private head = 0;
  private size = 0;
  private pushed = 0;
  private readonly capacity: number;

  constructor(
    readonly window: number,
    private readonly kind: 'max' | 'min',
  ) {
    this.capacity = window + 1;
    this.values = new Float64Array(this.capacity);
    this.positions = new Float64Array(this.capacity);
  }

  /** Committed values held so far (at most `window`). */
  get count(): number {
    return Math.min(this.pushed, this.window);
  }

  get extreme(): number {
    return this.size === 0 ? Number.NaN : this.values[this.head]!;
  }

  push(x: number): void {
    const cap = this.capacity;
    const position = this.pushed++;
    // Drop values that can never be the extreme again: older and not more extreme than x.
    while (this.size > 0) {
      const tail = (this.head + this.size - 1) % cap;
      const v = this.values[tail]!;
      if (this.kind === 'max' ? v > x : v < x) break;
      this.size--;
    }
    const slot = (this.head + this.size) % cap;
    this.values[slot] = x;
    this.positions[slot] = position;
    this.size++;
    // Drop the front once it falls out of the window.
    if (this.positions[this.head]! <= position - this.window) {
      this.head = (this.head + 1) % cap;
      this.size--;
    }
  }
}
