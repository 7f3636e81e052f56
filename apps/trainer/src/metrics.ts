import { queueDepthGauge } from '@regime/service';
import { Counter, Gauge, Registry } from 'prom-client';

/** Everything the trainer exports on /metrics. One registry per trainer instance (tests run several). */
export function createTrainerMetrics(queueCounts?: () => Promise<Record<string, number>>) {
  const registry = new Registry();
  const retrains = new Counter({
    name: 'trainer_retrains_total',
    help: 'Retrain cycles seen by this process, by outcome: promoted, rejected, failed, refused (one already running)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const earlyRetrains = new Counter({
    name: 'trainer_early_retrains_total',
    help: 'Retrains queued before their schedule, by trigger (f1_drop, drift)',
    labelNames: ['trigger'] as const,
    registers: [registry],
  });
  const progress = new Gauge({
    name: 'trainer_retrain_progress_percent',
    help: 'Progress of the retrain in progress (0..100)',
    registers: [registry],
  });
  const lastRetrain = new Gauge({
    name: 'trainer_last_retrain_timestamp_seconds',
    help: 'When the last retrain completed (promoted or rejected), unix seconds',
    registers: [registry],
  });
  const liveMacroF1 = new Gauge({
    name: 'trainer_live_macro_f1',
    help: "The champion's macro-F1 on the last 7 days of regime_outcomes, at the last check",
    labelNames: ['model_version'] as const,
    registers: [registry],
  });
  const queueDepth = queueDepthGauge('trainer', registry, queueCounts);
  return { registry, retrains, earlyRetrains, progress, lastRetrain, liveMacroF1, queueDepth };
}

export type TrainerMetrics = ReturnType<typeof createTrainerMetrics>;
