/**
 * A dwell rule over what a strategy reads of the written regime (its key: "a trend regime or not",
 * "which exposure level"): the acted-on key changes only after the written key has differed from it
 * at `k` consecutive official instants, and then takes the newest written key. When there are two
 * keys (in or out) that is exactly: act on a regime only once it has been written k instants in a
 * row, and leave it only after k instants outside it. k = 1 acts on every written change.
 */
export class Dwell<Key> {
  private outside = 0;

  constructor(
    readonly k: number,
    private acted: Key,
  ) {
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`dwell k must be an integer ≥ 1, got ${k}`);
  }

  /** Feeds the key written at this instant; returns the key to act on. */
  update(written: Key): Key {
    if (written === this.acted) {
      this.outside = 0;
      return this.acted;
    }
    this.outside++;
    if (this.outside >= this.k) {
      this.acted = written;
      this.outside = 0;
    }
    return this.acted;
  }
}
