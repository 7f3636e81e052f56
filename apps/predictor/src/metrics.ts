import { queueDepthGauge } from '@regime/service';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Everything the predictor exports on /metrics. One registry per predictor instance (tests run several). */
export function createPredictorMetrics(
  queueCounts?: () => Promise<Record<string, number>>,
  modelAge?: () => { version: string; ageDays: number } | undefined,
) {
  const registry = new Registry();
  const modelAgeDays = new Gauge({
    name: 'predictor_model_age_days',
    help: "Days from the end of the model in service's training data to now (clock time); past MODEL_MAX_AGE_DAYS it is flagged expired",
    labelNames: ['model_version'] as const,
    registers: [registry],
    collect() {
      const age = modelAge?.();
      this.reset();
      if (age) this.set({ model_version: age.version }, age.ageDays);
    },
  });
  const jobsDone = new Counter({
    name: 'predictor_jobs_done_total',
    help: 'Prediction jobs that wrote their row',
    labelNames: ['mode'] as const,
    registers: [registry],
  });
  const jobsFailed = new Counter({
    name: 'predictor_jobs_failed_total',
    help: 'Failed prediction attempts (retried until the budget is spent); reason not_ready = candles missing',
    labelNames: ['mode', 'reason'] as const,
    registers: [registry],
  });
  const jobsMissed = new Counter({
    name: 'predictor_jobs_missed_total',
    help: 'Prediction jobs given up after the retry budget: no row was written for that as-of instant',
    labelNames: ['mode', 'reason'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'predictor_prediction_latency_ms',
    help: 'From the as-of instant T to the row being written (latency_ms), in clock milliseconds',
    labelNames: ['mode'] as const,
    buckets: [50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10_000, 30_000, 60_000, 300_000],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'predictor_model_batch_size',
    help: 'Windows per model call (jobs in flight are batched together)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const stageSeconds = new Counter({
    name: 'predictor_stage_seconds_total',
    help: 'Seconds per stage of a prediction: CPU for features, view (the labeler view) and model (network and decision); wall time for read (candles from QuestDB) and write (ILP, acknowledged)',
    labelNames: ['stage'] as const,
    registers: [registry],
  });
  const ticks = new Counter({
    name: 'predictor_ticks_total',
    help: 'Scheduler ticks handled by this process',
    labelNames: ['mode'] as const,
    registers: [registry],
  });
  const enqueued = new Counter({
    name: 'predictor_jobs_enqueued_total',
    help: 'Prediction jobs submitted by ticks (as-of instants without a row; repeats are no-ops in BullMQ)',
    labelNames: ['mode'] as const,
    registers: [registry],
  });
  const modelReloads = new Counter({
    name: 'predictor_model_reloads_total',
    help: 'Model reloads after its folder changed, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const queueDepth = queueDepthGauge('predictor', registry, queueCounts);
  return {
    registry,
    modelAgeDays,
    jobsDone,
    jobsFailed,
    jobsMissed,
    latency,
    batchSize,
    stageSeconds,
    ticks,
    enqueued,
    modelReloads,
    queueDepth,
  };
}

export type PredictorMetrics = ReturnType<typeof createPredictorMetrics>;
