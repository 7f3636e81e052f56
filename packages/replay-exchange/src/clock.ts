import { performance } from 'node:perf_hooks';

/**
 * The replay's virtual clock: now = from + (wall time since start) × speed, stopped at `to`.
 * Monotonic (performance.now), so a wall-clock adjustment never makes it jump.
 */
export class VirtualClock {
  private readonly startedAt = performance.now();

  constructor(
    readonly from: number,
    readonly speed: number,
    readonly to?: number,
  ) {}

  now(): number {
    const t = this.from + Math.floor((performance.now() - this.startedAt) * this.speed);
    return this.to === undefined ? t : Math.min(t, this.to);
  }

  /** Wall milliseconds until the virtual clock reaches `t` (0 if already past). */
  wallMsUntil(t: number): number {
    return Math.max(0, (t - this.now()) / this.speed);
  }
}
