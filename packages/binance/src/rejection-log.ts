import type { Logger } from '@regime/service';

/**
 * Logs refused exchange messages without flooding: the first refusal of each reason in a window is
 * logged in full (with the start of the raw message), the rest of the window only as counts in one
 * summary line when the window ends. A burst of 20 000 garbage frames is then a handful of lines,
 * each saying what happened: the exchange sent messages that were refused.
 */
export class RejectionLog {
  private counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger | undefined,
    private readonly windowMs = 10_000,
  ) {}

  note(code: string, reason: string, raw: string): void {
    const seen = this.counts.get(code) ?? 0;
    this.counts.set(code, seen + 1);
    if (seen === 0) {
      this.logger?.warn(
        { code, reason, raw: raw.slice(0, 300) },
        'refused a message from the exchange (further refusals of this reason are summarised)',
      );
    }
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    this.timer.unref?.();
  }

  /** Logs the summary of the current window (if anything beyond the first refusals) and starts anew. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const more = [...this.counts].filter(([, n]) => n > 1).map(([code, n]) => [code, n - 1] as const);
    this.counts = new Map();
    if (more.length === 0) return;
    const total = more.reduce((sum, [, n]) => sum + n, 0);
    this.logger?.warn(
      { refused: Object.fromEntries(more), windowMs: this.windowMs },
      `refused ${total} more message(s) from the exchange in the last ${this.windowMs / 1000} s`,
    );
  }

  stop(): void {
    this.flush();
  }
}
