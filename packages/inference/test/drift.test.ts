import { readdirSync } from 'node:fs';
import { hasSharedKlines, listKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import {
  DRIFT_INPUT_NAMES,
  defaultModelDir,
  inputDistributionOf,
  loadRegimeModel,
  PSI_MAJOR,
  PSI_MODERATE,
  type RegimeModel,
  splitDataset,
} from '@regime/model';
import { fileCandleSource } from '@regime/model/candle-source';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DriftCandleReader, driftAsOf, driftInstants } from '../src/index.ts';

const DAY = 86_400_000;
const dir = sharedKlinesDir();

if (!hasSharedKlines()) console.warn(`drift on real candles skipped: no candles in ${dir}`);

/** The first pair with 5m files, and a day inside its second-newest month (complete, with 6 h after it). */
function pickPairAndDay(): { symbol: string; asOf: number } | undefined {
  const symbols = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && listKlineFiles(dir, e.name, '5m').length >= 3)
    .map((e) => e.name)
    .sort();
  const symbol = symbols[0];
  if (!symbol) return undefined;
  const files = listKlineFiles(dir, symbol, '5m');
  const month = /(\d{4})-(\d{2})\.csv(\.gz)?$/.exec(files[files.length - 2]!);
  if (!month) return undefined;
  return { symbol, asOf: Date.UTC(Number(month[1]), Number(month[2]) - 1, 15) };
}

describe.skipIf(!hasSharedKlines())('drift of the predictor’s inputs on real candles', () => {
  let model: RegimeModel;
  const picked = hasSharedKlines() ? pickPairAndDay() : undefined;

  beforeAll(async () => {
    model = await loadRegimeModel(defaultModelDir());
  });
  afterAll(() => model?.dispose());

  it('is near zero against the same 24 h built by the training path, high against a month earlier', async () => {
    expect(picked, `no pair with three months of 5m files in ${dir}`).toBeDefined();
    const { symbol, asOf } = picked!;
    const source = fileCandleSource(dir);
    const ranges: { from: number; to: number }[] = [];
    const reader: DriftCandleReader = {
      history: (s, range) => {
        ranges.push(range);
        return source.history(s, range);
      },
    };
    const params = model.metadata.labeler.params;
    // The training path (buildDataset, what `train` reads) over exactly the instants drift reads.
    const instants = driftInstants(asOf);
    const history = await source.history(symbol, { from: asOf - 40 * DAY, to: asOf + DAY });
    const { dataset } = await splitDataset(
      [{ symbol, history }],
      { from: instants[0]!, to: asOf + 1 },
      5,
      params,
    );
    expect(dataset.size).toBeGreaterThan(250);
    const distribution = inputDistributionOf(dataset, model.version, {
      symbols: [symbol],
      from: new Date(instants[0]!).toISOString(),
      to: new Date(asOf).toISOString(),
      strideMinutes: 5,
      note: 'test',
    });

    const same = await driftAsOf(model, distribution, symbol, asOf, reader);
    expect(same.instants + same.missed.length).toBe(288);
    expect(same.instants).toBe(dataset.size);
    expect(same.rows.map((r) => r.feature)).toEqual(DRIFT_INPUT_NAMES);
    for (const row of same.rows) {
      expect(row).toMatchObject({ ts: asOf, symbol, modelVersion: model.version });
      // The same instants through the predictor's path: the same view bit for bit, feature values
      // equal to the features' convergence tolerance: the batch path seeds the slowest indicator (EMA
      // 55) from further back, so a value within that tolerance of an edge may change bin (measured:
      // PSI 0.034 for window.price_vs_ema55_1h, whose 24 hourly values each count 12 times).
      if (!row.feature.startsWith('window.')) expect(row.psi, row.feature).toBeLessThan(1e-9);
      expect(row.psi, row.feature).toBeLessThan(PSI_MODERATE);
    }
    // No calibration in this distribution: the major rows are those above 0.25, none here.
    expect(same.major).toEqual([]);
    // Nothing after T was read.
    expect(Math.max(...ranges.map((r) => r.to))).toBeLessThanOrEqual(asOf);

    const earlier = await driftAsOf(model, distribution, symbol, asOf - 30 * DAY, reader);
    expect(earlier.rows).toHaveLength(DRIFT_INPUT_NAMES.length);
    const flagged = earlier.rows.filter((r) => r.psi > PSI_MAJOR);
    expect(flagged.length).toBeGreaterThan(0);
    expect(earlier.major).toEqual(flagged);
    // The calendar is the same clock a month earlier (same hours, a whole number of days).
    expect(earlier.rows.find((r) => r.feature === 'calendar.day_sin')!.psi).toBeLessThan(0.01);
  }, 120_000);

  it('refuses a distribution of another model', async () => {
    const reader: DriftCandleReader = fileCandleSource(dir);
    const distribution = { modelVersion: 'another' } as Parameters<typeof driftAsOf>[1];
    await expect(driftAsOf(model, distribution, 'BTCUSDT', Date.UTC(2025, 0, 1), reader)).rejects.toThrow(
      /not regime/,
    );
  });
});
