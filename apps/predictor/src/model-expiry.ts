import type { PipelineEvent } from '@regime/questdb';

const DAY = 86_400_000;

export interface ModelAge {
  version: string;
  ageDays: number;
  expired: boolean;
  /** Why the model is flagged, when it is. */
  reason?: string;
}

/**
 * How old the model in service is: from the end of its training data (metadata's training period,
 * the `train_to` of its model_registry `trained` row) to the predictor's clock. Past the limit it is
 * expired: it keeps predicting (a missing signal is worse than an old one) and says so.
 */
export function modelAge(version: string, trainedUntil: number, now: number, maxAgeDays: number): ModelAge {
  const ageDays = (now - trainedUntil) / DAY;
  if (!(ageDays > maxAgeDays)) return { version, ageDays, expired: false };
  return {
    version,
    ageDays,
    expired: true,
    reason:
      `model ${version} is expired: its training data ended ${new Date(trainedUntil).toISOString()}, ` +
      `${ageDays.toFixed(1)} days ago (MODEL_MAX_AGE_DAYS ${maxAgeDays}); it keeps predicting until a newer model is promoted`,
  };
}

/** The day (UTC, clock time) an expiry event belongs to: one model_expired row per model and day. */
export function expiryDay(now: number): string {
  return new Date(Math.floor(now / DAY) * DAY).toISOString().slice(0, 10);
}

export function expiryEvent(age: ModelAge, now: number): PipelineEvent {
  return {
    ts: Date.now(),
    exchangeTs: now,
    service: 'predictor',
    kind: 'model_expired',
    count: 1,
    detail: age.reason ?? `model ${age.version} is expired`,
  };
}
