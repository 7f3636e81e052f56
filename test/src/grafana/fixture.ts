import { type Interval, type Kline, seededRandom } from '@regime/candles';
import { readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import { closeLookup, forwardOutcome } from '@regime/labeler';
import {
  type BacktestEquityRow,
  type OutcomeRow,
  type PipelineEvent,
  type PredictionRow,
  REGIME_IDS,
  type RegimeId,
} from '@regime/questdb';

/**
 * What the dashboards are run against: two days of real BTCUSDT and ETHUSDT candles from ../shared
 * (5m, 15m, 1h; the newest candle of each series left in progress), official predictions every
 * 5 minutes and live ones every minute (seeded pseudo-random regimes that persist and change), and
 * pipeline events of every kind, some without a symbol and some for a symbol with no candles, and
 * outcomes of the official predictions (the realised regime mostly leads the predicted one by two
 * instants, with noise), except the newest 8 hours and every 97th instant (left without an outcome).
 * Each outcome's next 4 hours are those of the real candles (forwardOutcome, read from ../shared
 * beyond the two days), except every 13th, left null like a row scored before those columns existed.
 */

export const FIXTURE_FROM = Date.UTC(2025, 8, 1);
export const FIXTURE_TO = Date.UTC(2025, 8, 3);
export const FIXTURE_SYMBOLS = ['BTCUSDT', 'ETHUSDT'] as const;
/** Has events but no candles: the symbol variable never offers it, so the dashboards must skip it. */
export const UNLISTED_SYMBOL = 'XRPUSDT';
const INTERVALS: Interval[] = ['5m', '15m', '1h'];
const MINUTE = 60_000;

/** Two backtest runs: the dashboard shows one run at a time, never a mix. */
export const FIXTURE_RUNS = [
  'fixture-model:2025-09-01..2025-09-03:fee10:slip0',
  'fixture-model:fee25',
] as const;
export const FIXTURE_STRATEGIES = ['buy_and_hold', 'trend_gated'] as const;

export interface Fixture {
  klines: Kline[];
  predictions: PredictionRow[];
  events: PipelineEvent[];
  equity: BacktestEquityRow[];
  outcomes: OutcomeRow[];
}

/** mulberry32: small, seeded, good enough to make varied but reproducible data. */
const random = seededRandom;

function prediction(
  rand: () => number,
  ts: number,
  symbol: string,
  mode: 'official' | 'live',
  regime: RegimeId,
  latencyMs: number,
): PredictionRow {
  const weights = REGIME_IDS.map((id) => (id === regime ? 0.4 + rand() * 0.5 : 0.02 + rand() * 0.18));
  const total = weights.reduce((a, b) => a + b, 0);
  const probabilities = Object.fromEntries(REGIME_IDS.map((id, i) => [id, weights[i]! / total])) as Record<
    RegimeId,
    number
  >;
  return {
    ts,
    symbol,
    mode,
    regime,
    confidence: probabilities[regime],
    probabilities,
    modelVersion: 'fixture-1',
    latencyMs,
    createdAt: ts + Math.max(0, Math.round(latencyMs)),
  };
}

function predictions(symbol: string, seed: number): PredictionRow[] {
  const rand = random(seed);
  const pick = () => REGIME_IDS[Math.floor(rand() * REGIME_IDS.length)]!;
  const rows: PredictionRow[] = [];
  let official = pick();
  for (let ts = FIXTURE_FROM + 5 * MINUTE; ts <= FIXTURE_TO; ts += 5 * MINUTE) {
    if (rand() < 0.12) official = pick();
    rows.push(prediction(rand, ts, symbol, 'official', official, 200 + rand() * 2500));
    for (let minute = 1; minute <= 5 && ts + minute * MINUTE <= FIXTURE_TO; minute++) {
      const live = rand() < 0.2 ? pick() : official;
      rows.push(prediction(rand, ts + minute * MINUTE, symbol, 'live', live, 50 + rand() * 300));
    }
  }
  // A clock-skewed row: the latency panel's percentile must survive a negative latency.
  rows[10]!.latencyMs = -3;
  return rows;
}

function events(): PipelineEvent[] {
  const kinds = ['gap', 'gap_filled', 'rejected', 'reconnect', 'missed_job', 'job_failed'];
  const services: Record<string, string[]> = {
    gap: ['collector', 'backfill'],
    gap_filled: ['collector', 'backfill'],
    rejected: ['collector'],
    reconnect: ['collector'],
    missed_job: ['predictor', 'scorer'],
    job_failed: ['predictor', 'scorer'],
  };
  const symbols = ['BTCUSDT', 'ETHUSDT', undefined, UNLISTED_SYMBOL, 'BTCUSDT'];
  const out: PipelineEvent[] = [];
  let i = 0;
  for (let ts = FIXTURE_FROM + 7 * MINUTE; ts < FIXTURE_TO; ts += 13 * MINUTE, i++) {
    const kind = kinds[i % kinds.length]!;
    const kindServices = services[kind]!;
    const symbol = symbols[i % symbols.length];
    out.push({
      ts,
      service: kindServices[Math.floor(i / kinds.length) % kindServices.length]!,
      kind,
      ...(symbol === undefined ? {} : { symbol, interval: '5m' }),
      count: 1 + (i % 5),
      detail: `fixture event ${i}: ${kind}`,
    });
  }
  return out;
}

/**
 * Backtest equity rows from the fixture's 5m closes: buy_and_hold follows the price, trend_gated
 * holds it on every other hour; the second run is the first one scaled (as if costs differed).
 */
function equity(klines: readonly Kline[]): BacktestEquityRow[] {
  const rows: BacktestEquityRow[] = [];
  for (const symbol of FIXTURE_SYMBOLS) {
    const closes = klines.filter((k) => k.symbol === symbol && k.interval === '5m' && k.closed);
    FIXTURE_RUNS.forEach((run, r) => {
      for (const strategy of FIXTURE_STRATEGIES) {
        let value = 1;
        let peak = 1;
        for (let i = 1; i < closes.length; i++) {
          const held = strategy === 'buy_and_hold' || Math.floor(closes[i]!.openTime / 3_600_000) % 2 === 0;
          value *= held ? (closes[i]!.close / closes[i - 1]!.close) * (1 - r * 0.0001) : 1;
          peak = Math.max(peak, value);
          rows.push({
            ts: closes[i]!.openTime + 5 * MINUTE,
            run,
            symbol,
            strategy,
            equity: value,
            drawdown: 1 - value / peak,
            position: held ? 1 : 0,
            modelVersion: 'fixture-model',
            createdAt: FIXTURE_TO,
          });
        }
      }
    });
  }
  return rows;
}

/** Official predictions older than this have outcomes (except every 97th). */
export const SCORED_UNTIL = FIXTURE_TO - 8 * 60 * MINUTE;

function outcomes(predictions: readonly PredictionRow[], seed: number): OutcomeRow[] {
  const rand = random(seed);
  const symbol = predictions[0]!.symbol;
  // forwardOutcome reads 15 days before T and 4 hours after it.
  const closeAt = closeLookup(
    readKlineFiles(sharedKlinesDir(), symbol, '5m', {
      from: FIXTURE_FROM - 16 * 24 * 60 * MINUTE,
      to: FIXTURE_TO + 5 * 60 * MINUTE,
    }),
  );
  const official = predictions.filter((p) => p.mode === 'official').sort((a, b) => a.ts - b.ts);
  const out: OutcomeRow[] = [];
  official.forEach((p, i) => {
    if (p.ts > SCORED_UNTIL || i % 97 === 96) return;
    const ahead = official[Math.min(i + 2, official.length - 1)]!.regime as RegimeId;
    const realised = rand() < 0.04 ? REGIME_IDS[Math.floor(rand() * REGIME_IDS.length)]! : ahead;
    out.push({
      ts: p.ts,
      symbol: p.symbol,
      modelVersion: p.modelVersion,
      predicted: p.regime as RegimeId,
      probabilities: p.probabilities,
      realised,
      correct: p.regime === realised,
      settledAt: p.ts + 6 * 60 * MINUTE,
      labelerVersion: '2.0.0',
      next4h: i % 13 === 12 ? null : next4h(p.ts, closeAt),
    });
  });
  return out;
}

function next4h(ts: number, closeAt: (t: number) => number | undefined): OutcomeRow['next4h'] {
  const o = forwardOutcome(ts, closeAt);
  if (!o)
    throw new Error(`the fixture's candles do not cover the next 4 hours of ${new Date(ts).toISOString()}`);
  return { volRatio: o.volRatio, efficiency: o.efficiency, return: o.forwardReturn };
}

export function buildFixture(): Fixture {
  const klines: Kline[] = [];
  for (const symbol of FIXTURE_SYMBOLS) {
    for (const interval of INTERVALS) {
      const candles = readKlineFiles(sharedKlinesDir(), symbol, interval, {
        from: FIXTURE_FROM,
        to: FIXTURE_TO,
      });
      if (candles.length === 0) throw new Error(`no ${symbol} ${interval} candles in ${sharedKlinesDir()}`);
      const series = candles.map((c) => ({ ...c, symbol, interval }));
      series[series.length - 1]!.closed = false;
      klines.push(...series);
    }
  }
  const rows = FIXTURE_SYMBOLS.flatMap((symbol, i) => predictions(symbol, 42 + i));
  return {
    klines,
    predictions: rows,
    events: events(),
    equity: equity(klines),
    outcomes: FIXTURE_SYMBOLS.flatMap((symbol, i) =>
      outcomes(
        rows.filter((p) => p.symbol === symbol),
        7 + i,
      ),
    ),
  };
}
