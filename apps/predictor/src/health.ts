import type { Clock } from '@regime/service';

export interface PredictionHealthState {
  ok: boolean;
  /** Why not ok; absent when ok. */
  reason?: string;
  lastSuccess: string | null;
  lastFailure: string | null;
}

/**
 * Whether predictions are being written. A predictor whose every job fails (candles never there,
 * a clock far from the exchange's, QuestDB refusing writes) must not report healthy: not ok once
 * no prediction has succeeded for `limitMs` (clock ms), counted from the last success, or from
 * start-up before the first one. A success is a row written by this process, or a tick finding the
 * newest due instant already predicted (by another process on the same queue). Pure bookkeeping:
 * the caller reports successes and failures.
 */
export class PredictionHealth {
  private lastSuccessAt: number | undefined;
  private lastFailure: { at: number; message: string } | undefined;
  private readonly since: number;

  constructor(
    private readonly clock: Clock,
    private readonly limitMs: number,
    private readonly limitText: string,
  ) {
    this.since = clock.now();
  }

  succeeded(): void {
    this.lastSuccessAt = this.clock.now();
  }

  failed(message: string): void {
    this.lastFailure = { at: this.clock.now(), message };
  }

  state(): PredictionHealthState {
    const now = this.clock.now();
    const from = this.lastSuccessAt ?? this.since;
    const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
    const base = {
      lastSuccess: iso(this.lastSuccessAt),
      lastFailure: this.lastFailure ? `${iso(this.lastFailure.at)}: ${this.lastFailure.message}` : null,
    };
    if (now - from <= this.limitMs) return { ok: true, ...base };
    const minutes = ((now - from) / 60_000).toFixed(1);
    const what = this.lastSuccessAt === undefined ? 'since start-up' : `since ${iso(this.lastSuccessAt)}`;
    const failure = this.lastFailure ? `; last failure: ${this.lastFailure.message}` : '; no job has run';
    return {
      ok: false,
      reason: `no prediction succeeded ${what} (${minutes} min, limit ${this.limitText})${failure}`,
      ...base,
    };
  }
}
