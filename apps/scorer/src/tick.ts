import { type LabelerParams, settleWindow } from '@regime/labeler';
import { type OutcomeStore, type PredictionRow, predictionProblem, type QuestDb } from '@regime/questdb';
import type { JobsOptions, Queue } from 'bullmq';
import { candleRangeFor, type ScoreResult, scorePredictions } from './score.ts';

/** Predictions scored between two yields to the event loop (a multiple of 3: whole 15-minute bars). */
const SCORE_CHUNK = 48;

/** A prediction the scorer gives up on, reported once (its job id is unique per symbol and instant). */
export interface ReportJobData {
  kind: 'missed_job' | 'rejected';
  symbol: string;
  asOf: number;
  detail: string;
}

export interface TickContext {
  db: QuestDb;
  outcomes: OutcomeStore;
  queue: Queue;
  symbols: readonly string[];
  now: () => number;
  params: LabelerParams;
  labelerVersion: string;
  lookbackMs: number;
  giveUpMs: number;
  batchMax: number;
  reportJobOptions: JobsOptions;
}

/** What one tick found and did for one symbol. */
export interface SymbolTick {
  symbol: string;
  written: number;
  /** Not settled yet (T + settle still ahead). */
  settling: number;
  /** Settled, but more than SCORE_BATCH_MAX were due: left for the next tick. */
  backlog: number;
  /** Settled, candles of the window missing, still within SCORE_GIVE_UP_MS. */
  late: number;
  /** Given up (reported once in pipeline_events). */
  missed: number;
  rejected: number;
  /** Now minus the settle time of the oldest settled prediction still waiting (late or backlog); 0 when none. */
  lagMs: number;
}

/** Deterministic id: one report per (kind, symbol, T), however many ticks see it. */
export function reportJobId(data: Pick<ReportJobData, 'kind' | 'symbol' | 'asOf'>): string {
  return `${data.kind}-${data.symbol}-${data.asOf}`;
}

/**
 * One scoring pass: for each symbol, the official predictions of the look-back window without an
 * outcome row are scored once settled, oldest first, at most batchMax per symbol.
 */
export async function runScoreTick(ctx: TickContext): Promise<SymbolTick[]> {
  const out: SymbolTick[] = [];
  for (const symbol of ctx.symbols) out.push(await scoreSymbol(ctx, symbol));
  return out;
}

async function scoreSymbol(ctx: TickContext, symbol: string): Promise<SymbolTick> {
  const now = ctx.now();
  const from = now - ctx.lookbackMs;
  const [predictions, scored] = await Promise.all([
    ctx.db.readPredictions(symbol, 'official', from, now + 1),
    ctx.outcomes.scoredInstants(symbol, from, now + 1),
  ]);
  const tick: SymbolTick = {
    symbol,
    written: 0,
    settling: 0,
    backlog: 0,
    late: 0,
    missed: 0,
    rejected: 0,
    lagMs: 0,
  };
  const reports: ReportJobData[] = [];
  const sound: PredictionRow[] = [];
  for (const p of predictions) {
    if (scored.has(p.ts)) continue;
    const problem = predictionProblem(p);
    if (problem) {
      tick.rejected++;
      reports.push({
        kind: 'rejected',
        symbol,
        asOf: p.ts,
        detail: `official prediction not scored: ${problem}`,
      });
    } else sound.push(p);
  }
  const settledAt = (p: PredictionRow) => settleWindow(p.ts, ctx.params).settledAt;
  const due = sound.filter((p) => settledAt(p) <= now);
  tick.settling = sound.length - due.length;
  // Oldest first: a catch-up after an outage scores the predictions in the order they settled.
  const batch = due.slice(0, ctx.batchMax);
  const backlog = due.slice(ctx.batchMax);
  tick.backlog = backlog.length;
  let oldestWaiting = backlog.length > 0 ? settledAt(backlog[0]!) : Number.POSITIVE_INFINITY;
  if (batch.length > 0) {
    const range = candleRangeFor(
      batch.map((p) => p.ts),
      ctx.params,
    );
    const candles = await ctx.db.readKlines(symbol, '5m', range.from, range.to, { closedOnly: true });
    const result: ScoreResult = { outcomes: [], pending: [] };
    // ~5 ms of labeler per bar: a catch-up of days is seconds of CPU. Yield between chunks so BullMQ
    // can renew the job's lock (a blocked event loop would make the tick look stalled).
    for (let start = 0; start < batch.length; start += SCORE_CHUNK) {
      const chunk = scorePredictions(batch.slice(start, start + SCORE_CHUNK), candles, now, ctx);
      result.outcomes.push(...chunk.outcomes);
      result.pending.push(...chunk.pending);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await ctx.outcomes.write(result.outcomes);
    tick.written = result.outcomes.length;
    for (const p of result.pending) {
      if (p.state === 'missed') {
        tick.missed++;
        reports.push({
          kind: 'missed_job',
          symbol,
          asOf: p.prediction.ts,
          detail: `no outcome for the official prediction as of ${new Date(p.prediction.ts).toISOString()}: ${p.detail}`,
        });
      } else {
        tick.late++;
        oldestWaiting = Math.min(oldestWaiting, p.settledAt);
      }
    }
  }
  tick.lagMs = Number.isFinite(oldestWaiting) ? Math.max(0, now - oldestWaiting) : 0;
  for (const report of reports) {
    await ctx.queue.add(report.kind, report, { ...ctx.reportJobOptions, jobId: reportJobId(report) });
  }
  return tick;
}
