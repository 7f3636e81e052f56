import { performance } from 'node:perf_hooks';

/**
 * A service's notion of "now" (epoch ms). In production it is the wall clock. Against the replay
 * exchange running at N× speed the predictor and the scorer must follow the exchange's virtual clock
 * instead, or as-of instants would be computed for times the exchange has not reached yet (or passed
 * long ago).
 */
export interface Clock {
  now(): number;
  close(): void;
}

export const wallClock: Clock = { now: () => Date.now(), close: () => {} };

export interface ExchangeClockOptions {
  /** Returns the exchange's current time (e.g. GET /api/v3/time). */
  serverTime: () => Promise<number>;
  /** Virtual ms per wall ms: the replay speed (1 against a real exchange). */
  timeScale: number;
  /** Wall ms between polls. */
  pollMs: number;
  onError?: (error: unknown) => void;
}

/**
 * Follows an exchange clock: polls its server time and extrapolates in between with the known speed.
 * Never goes backwards (a poll that lands slightly behind the extrapolation is absorbed), so as-of
 * instants derived from it only ever move forward.
 */
export async function exchangeClock(options: ExchangeClockOptions): Promise<Clock> {
  let anchorVirtual = 0;
  let anchorWall = 0;
  let lastReturned = Number.NEGATIVE_INFINITY;

  const poll = async () => {
    const sentAt = performance.now();
    const serverTime = await options.serverTime();
    const receivedAt = performance.now();
    // The server read its clock somewhere during the round trip: assume the middle.
    anchorWall = (sentAt + receivedAt) / 2;
    anchorVirtual = serverTime;
  };
  await poll();

  const timer = setInterval(() => {
    poll().catch((error) => options.onError?.(error));
  }, options.pollMs);
  timer.unref();

  return {
    now() {
      const t = Math.floor(anchorVirtual + (performance.now() - anchorWall) * options.timeScale);
      lastReturned = Math.max(lastReturned, t);
      return lastReturned;
    },
    close() {
      clearInterval(timer);
    },
  };
}
