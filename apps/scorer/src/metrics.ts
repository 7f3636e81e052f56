import { queueDepthGauge } from '@regime/service';
import { Counter, Gauge, Registry } from 'prom-client';

/** Everything the scorer exports on /metrics. One registry per scorer instance (tests run several). */
export function createScorerMetrics(queueCounts?: () => Promise<Record<string, number>>) {
  const registry = new Registry();
  const outcomesWritten = new Counter({
    name: 'scorer_outcomes_written_total',
    help: 'Outcome rows written to regime_outcomes (a re-run rewrites identical rows and counts them again)',
    labelNames: ['symbol'] as const,
    registers: [registry],
  });
  const predictionsMissed = new Counter({
    name: 'scorer_predictions_missed_total',
    help: 'Official predictions given up on: candles of their settle window still missing SCORE_GIVE_UP_MS after settling',
    labelNames: ['symbol'] as const,
    registers: [registry],
  });
  const predictionsRejected = new Counter({
    name: 'scorer_predictions_rejected_total',
    help: 'Official prediction rows that cannot be scored because they are unsound (reported once each)',
    labelNames: ['symbol'] as const,
    registers: [registry],
  });
  const ticks = new Counter({
    name: 'scorer_ticks_total',
    help: 'Scoring ticks handled by this process, by outcome (ok or failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const pending = new Gauge({
    name: 'scorer_predictions_pending',
    help:
      'Official predictions of the look-back window without an outcome at the last tick: settling (T + settle ' +
      'not closed yet), backlog (settled, more than SCORE_BATCH_MAX due), late (settled, candles missing)',
    labelNames: ['symbol', 'state'] as const,
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'scorer_lag_seconds',
    help: 'Age past its settle time of the oldest settled prediction still without an outcome (0 = keeping up)',
    labelNames: ['symbol'] as const,
    registers: [registry],
  });
  const lastTick = new Gauge({
    name: 'scorer_last_successful_tick_timestamp_seconds',
    help: 'When the last tick finished without error (unix seconds): a stalled scorer stops moving it',
    registers: [registry],
  });
  const queueDepth = queueDepthGauge('scorer', registry, queueCounts);
  return {
    registry,
    outcomesWritten,
    predictionsMissed,
    predictionsRejected,
    ticks,
    pending,
    lag,
    lastTick,
    queueDepth,
  };
}

export type ScorerMetrics = ReturnType<typeof createScorerMetrics>;
