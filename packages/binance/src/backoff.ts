export interface BackoffOptions {
  /** First delay, in ms. */
  minMs: number;
  /** Upper bound for any delay, in ms. */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, half is random.
 * The fixed half keeps a floor under retries; the random half stops many clients (or many streams)
 * from retrying in lock-step after a shared outage.
 */
export function backoffDelay(
  attempt: number,
  { minMs, maxMs }: BackoffOptions,
  random = Math.random,
): number {
  const exponential = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** Resolves after `ms`; rejects early with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
