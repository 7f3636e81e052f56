import { createHash } from 'node:crypto';
import { isInterval, isValidSymbol, REGIME_IDS, type RegimeId } from '@regime/candles';

export { REGIME_IDS, type RegimeId } from '@regime/candles';

export const PREDICTION_MODES = ['official', 'live'] as const;
export type PredictionMode = (typeof PREDICTION_MODES)[number];

/** One row of regime_predictions. Instants are epoch ms UTC. */
export interface PredictionRow {
  /** The as-of instant T. */
  ts: number;
  symbol: string;
  mode: PredictionMode;
  regime: string;
  confidence: number;
  probabilities: Record<RegimeId, number>;
  modelVersion: string;
  /** From T to the row being written. */
  latencyMs: number;
  createdAt: number;
}

/** The kinds docs/ARCHITECTURE.md lists; writeEvents accepts any lower_snake_case kind. */
export const PIPELINE_EVENT_KINDS = [
  'gap',
  'gap_filled',
  'rejected',
  'future_rows',
  'reconnect',
  'missed_job',
  'job_failed',
] as const;

/**
 * One row of pipeline_events. `ts` is the one clock of the table: the wall clock (UTC) of the host
 * when the service recorded the event. `exchangeTs` is the exchange's clock at that moment when the
 * service follows it (the replay runs in the past, the predictor may follow it with CLOCK=exchange).
 * A row is identified by (ts, event_id), event_id being a hash of the other columns: writing the same
 * event again (a write retried after a lost acknowledgement) upserts instead of duplicating.
 */
export interface PipelineEvent {
  /** Wall clock (epoch ms UTC) when the event was recorded: set once, when the event is created. */
  ts: number;
  /** The exchange's clock at the event (epoch ms), when known. */
  exchangeTs?: number;
  service: string;
  kind: string;
  symbol?: string;
  interval?: string;
  count: number;
  detail: string;
}

const NAME_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
const VERSION_PATTERN = /^[A-Za-z0-9._:+-]{1,64}$/;

function isInstant(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Returns why the row cannot be stored, or undefined when it is sound. */
export function predictionProblem(row: PredictionRow): string | undefined {
  if (!isInstant(row.ts)) return `ts ${row.ts} is not an integer epoch-ms instant`;
  if (!isValidSymbol(row.symbol)) return `symbol ${JSON.stringify(row.symbol)} is not a valid symbol`;
  if (!(PREDICTION_MODES as readonly string[]).includes(row.mode))
    return `mode "${row.mode}" is not official|live`;
  if (!(REGIME_IDS as readonly string[]).includes(row.regime))
    return `regime "${row.regime}" is not a regime id`;
  if (!Number.isFinite(row.confidence) || row.confidence < 0 || row.confidence > 1) {
    return `confidence ${row.confidence} is not within [0, 1]`;
  }
  for (const id of REGIME_IDS) {
    const p = row.probabilities?.[id];
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) {
      return `probability of ${id} (${p}) is not within [0, 1]`;
    }
  }
  if (!VERSION_PATTERN.test(row.modelVersion))
    return `model version ${JSON.stringify(row.modelVersion)} is malformed`;
  if (!Number.isFinite(row.latencyMs)) return `latencyMs ${row.latencyMs} is not finite`;
  if (!isInstant(row.createdAt)) return `createdAt ${row.createdAt} is not an integer epoch-ms instant`;
  return undefined;
}

export function eventProblem(event: PipelineEvent): string | undefined {
  if (!isInstant(event.ts)) return `ts ${event.ts} is not an integer epoch-ms instant`;
  if (!NAME_PATTERN.test(event.service))
    return `service ${JSON.stringify(event.service)} is not lower_snake_case`;
  if (!NAME_PATTERN.test(event.kind)) return `kind ${JSON.stringify(event.kind)} is not lower_snake_case`;
  if (event.symbol !== undefined && !isValidSymbol(event.symbol)) {
    return `symbol ${JSON.stringify(event.symbol)} is not a valid symbol`;
  }
  if (event.interval !== undefined && !isInterval(event.interval)) {
    return `interval ${JSON.stringify(event.interval)} is not a known interval`;
  }
  if (!Number.isSafeInteger(event.count) || event.count < 0)
    return `count ${event.count} is not a natural number`;
  if (typeof event.detail !== 'string') return 'detail is not a string';
  if (event.exchangeTs !== undefined && !isInstant(event.exchangeTs)) {
    return `exchangeTs ${event.exchangeTs} is not an integer epoch-ms instant`;
  }
  return undefined;
}

/**
 * The dedup key of an event beside its `ts`: a hash of everything else in the row, so the same event
 * written twice is one row while two different events recorded in the same millisecond stay two.
 */
export function eventId(event: PipelineEvent): string {
  const content = JSON.stringify([
    event.service,
    event.kind,
    event.symbol ?? null,
    event.interval ?? null,
    event.count,
    event.detail,
    event.exchangeTs ?? null,
  ]);
  return createHash('sha256').update(content).digest('hex').slice(0, 32);
}
