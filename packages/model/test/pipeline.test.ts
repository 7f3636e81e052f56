import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthetic5m } from '@regime/candles/synthetic';
import { FEATURE_NAMES, featureWindows } from '@regime/features';
import { labelerViewAsOf, REGIMES, VIEW_SUMMARY_NAMES } from '@regime/labeler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_FILES, ModelArtifactError, readArtifact, writeArtifact } from '../src/artifact.ts';
import { calendarInputs } from '../src/calendar.ts';
import { parseTrainConfig } from '../src/config.ts';
import { inputDistributionOf, loadInputDistribution } from '../src/drift/index.ts';
import { evaluateClassifiers } from '../src/evaluate.ts';
import type { ModelMetadata } from '../src/metadata.ts';
import { loadRegimeModel, type ModelInput } from '../src/model.ts';
import { splitDataset } from '../src/period-data.ts';
import { smokeMetrics, type TrainedArtifact, trainPipeline } from '../src/pipeline.ts';
import { applyScaler } from '../src/scaler.ts';
import { initTensorflow } from '../src/tensorflow.ts';
import { predictProbabilities } from '../src/train.ts';
import { VIEW_BARS_SIZE, VIEW_SUMMARY_WIDTH, writeViewInputs } from '../src/view-inputs.ts';
import { historyFrom5m } from './history.ts';

// 26 days of synthetic 5m candles with changing drift and volatility, as TESTUSDT.
const candles = synthetic5m(
  [
    { candles: 3000, drift: 0, vol: 0.001 },
    { candles: 1500, drift: 0.0002, vol: 0.0015 },
    { candles: 1200, drift: 0, vol: 0.0004 },
    { candles: 900, drift: -0.0003, vol: 0.003 },
    { candles: 888, drift: 0, vol: 0.001 },
  ],
  { start: Date.UTC(2024, 0, 1), seed: 4 },
);
const inputs = [{ symbol: 'TESTUSDT', history: historyFrom5m(candles) }];
const config = parseTrainConfig(
  JSON.stringify({
    symbols: ['TESTUSDT'],
    from: '2024-01-19',
    to: '2024-01-26T12:00:00Z',
    validationFrom: '2024-01-23',
    testFrom: '2024-01-25',
    splitGapHours: 7,
    strideMinutes: { train: 60, validation: 15, test: 60 },
    model: { units: 8, windowUnits: 4, hidden: 8, maxEpochs: 2, patience: 2, batchSize: 32, seed: 7 },
    smoke: { symbol: 'TESTUSDT', from: '2024-01-25', to: '2024-01-25T12:00:00Z', strideMinutes: 60 },
  }),
  'inline.json',
);

let dir: string;
let trained: TrainedArtifact;

/** What the model reads at each instant, built straight from the candles. */
function modelInputs(asOfs: number[]): ModelInput[] {
  const windows = featureWindows(inputs[0]!.history, asOfs);
  return windows.map((window) => ({
    window,
    view: labelerViewAsOf(candles, window.asOf, trained.metadata.labeler.params),
  }));
}

beforeAll(async () => {
  await initTensorflow();
  dir = await mkdtemp(join(tmpdir(), 'regime-model-'));
  trained = await trainPipeline(inputs, config, { backend: 'wasm', version: 'test-model' });
  await writeArtifact(join(dir, 'model'), trained);
});

afterAll(async () => {
  trained?.model.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('training pipeline on synthetic candles', () => {
  it('trains, records what it did, and fits the scaler on the training split only', () => {
    const m = trained.metadata;
    expect(m.training.samples.train).toBeGreaterThan(50);
    expect(m.training.samples.validation).toBeGreaterThan(20);
    expect(m.training.epochs.length).toBeGreaterThanOrEqual(1);
    expect(m.training.epochs.length).toBeLessThanOrEqual(2);
    expect(m.training.periods.train.to).toBe('2024-01-22T17:00:00.000Z'); // validationFrom − splitGapHours
    expect(m.featureNames).toEqual(FEATURE_NAMES);
    expect(m.metrics.smoke?.samples).toBe(12);
    const bias = m.training.decisionBias!;
    expect(bias.validationMacroF1.modelAfter).toBeGreaterThanOrEqual(bias.validationMacroF1.modelBefore);
    expect(bias.validationMacroF1.logisticViewAfter).toBeGreaterThanOrEqual(
      bias.validationMacroF1.logisticViewBefore,
    );
    expect(m.metrics.validation.macroF1).toBe(bias.validationMacroF1.modelAfter);
    expect(trained.scalers.features.mean).toHaveLength(FEATURE_NAMES.length);
    expect(trained.scalers.viewSummary.mean).toHaveLength(VIEW_SUMMARY_NAMES.length);
    // The decision layer was tuned on validation: every setting tried is recorded, the chosen one among them.
    const d = m.decision;
    expect(d.validation.grid.length).toBeGreaterThan(1);
    expect(d.validation.grid.some((g) => g.windows === d.windows && g.margin === d.margin)).toBe(true);
    expect(Object.values(m.training.classCounts).reduce((a, b) => a + b, 0)).toBe(m.training.samples.train);
  });

  it('writes the training distribution of the unscaled inputs into the artifact', async () => {
    const written = await loadInputDistribution(join(dir, 'model'));
    expect(written?.modelVersion).toBe('test-model');
    expect(written?.source.instants).toBe(trained.metadata.training.samples.train);
    const { train } = trained.metadata.training.periods;
    const period = { from: Date.parse(train.from), to: Date.parse(train.to) };
    const { dataset } = await splitDataset(inputs, period, 60, trained.metadata.labeler.params);
    const expected = inputDistributionOf(dataset, 'test-model', written!.source);
    const bins = (d: typeof expected) =>
      d.inputs.map(({ name, edges, fractions }) => ({ name, edges, fractions }));
    expect(bins(written!)).toEqual(bins(expected));
    expect(written!.source).toEqual(expected.source);
    // Every input carries its drift threshold's calibration on whole training days.
    for (const input of written!.inputs) expect(input.calibration?.days, input.name).toBeGreaterThan(0);
  });

  it('is reproducible: the same seed gives the same weights', async () => {
    const again = await trainPipeline(inputs, config, { backend: 'wasm', version: 'test-model' });
    const a = trained.model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = again.model.getWeights().map((w) => Array.from(w.dataSync()));
    again.model.dispose();
    expect(b).toEqual(a);
  });

  it('round-trips through the artifact folder with identical predictions', async () => {
    const model = await loadRegimeModel(join(dir, 'model'));
    const asOfs = [Date.UTC(2024, 0, 25, 3, 5), Date.UTC(2024, 0, 25, 7, 30)];
    const batch = modelInputs(asOfs);
    const predictions = await model.predict(batch);
    const raw = new Float64Array(batch.flatMap((b) => Array.from(b.window.values)));
    const summaries = new Float32Array(batch.length * VIEW_SUMMARY_WIDTH);
    const bars = new Float32Array(batch.length * VIEW_BARS_SIZE);
    batch.forEach((b, i) => {
      writeViewInputs(b.view, summaries, i * VIEW_SUMMARY_WIDTH, bars, i * VIEW_BARS_SIZE);
    });
    const expected = predictProbabilities(trained.model, {
      x: applyScaler(trained.scalers.features, raw),
      calendar: calendarInputs(asOfs),
      viewSummary: applyScaler(trained.scalers.viewSummary, summaries),
      viewBars: applyScaler(trained.scalers.viewBars, bars),
      steps: 64,
      featureCount: FEATURE_NAMES.length,
    });
    predictions.forEach((p, i) => {
      REGIMES.forEach((r, k) => {
        expect(p.probabilities[r]).toBe(expected[i * REGIMES.length + k]);
      });
      expect(p.confidence).toBe(Math.max(...Object.values(p.probabilities)));
      expect(p.probabilities[p.regime]).toBe(p.confidence);
    });
    expect(model.version).toBe('test-model');
    model.dispose();
    await expect(model.predict(batch)).rejects.toThrow(/disposed/);
  });

  it('reproduces the smoke check recorded at training time from the saved artifact', async () => {
    const loaded = await readArtifact(join(dir, 'model'));
    const smoke = loaded.metadata.metrics.smoke!;
    const again = await smokeMetrics(
      loaded.model,
      loaded.scalers,
      inputs,
      {
        symbol: smoke.symbol,
        from: Date.parse(smoke.from),
        to: Date.parse(smoke.to),
        strideMinutes: smoke.strideMinutes,
      },
      loaded.metadata.labeler.params,
    );
    loaded.model.dispose();
    expect(again).toEqual(smoke);
  });

  it('evaluates the model, every baseline and the hybrid reference on the same samples', async () => {
    const { dataset } = await splitDataset(
      inputs,
      { from: Date.parse('2024-01-25'), to: Date.parse('2024-01-26') },
      60,
      trained.metadata.labeler.params,
    );
    const { results, profile, decisionGrid } = evaluateClassifiers(
      trained.model,
      trained.scalers,
      trained.baselines,
      dataset,
      60,
      trained.metadata.decision,
    );
    for (const r of Object.values(results)) {
      expect(r.samples).toBe(dataset.size);
      expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(dataset.size);
      expect(r.perSymbol.TESTUSDT?.samples).toBe(dataset.size);
    }
    expect(results.model.ece).not.toBeNull();
    expect(decisionGrid[0]!.macroF1).toBe(results.modelArgmax.macroF1);
    // Each regime's profile rows add up to the all-instants row.
    const regimeRows = REGIMES.reduce((n, r) => n + profile.written[r].samples, 0);
    expect(regimeRows).toBe(profile.written.all.samples);
    expect(results.majority.perClass[REGIMES[trained.baselines.majorityClass]!].recall).toBe(
      dataset.labels.some((l) => l === trained.baselines.majorityClass) ? 1 : 0,
    );
  });
});

describe('artifact verification', () => {
  async function tamperedCopy(change: (m: ModelMetadata) => void): Promise<string> {
    const copy = await mkdtemp(join(dir, 'tampered-'));
    await cp(join(dir, 'model'), copy, { recursive: true });
    const file = join(copy, ARTIFACT_FILES.metadata);
    const metadata = JSON.parse(await readFile(file, 'utf8')) as ModelMetadata;
    change(metadata);
    await writeFile(file, JSON.stringify(metadata));
    return copy;
  }

  const cases: [string, (m: ModelMetadata) => void, RegExp][] = [
    [
      'feature order',
      (m) => {
        [m.featureNames[0], m.featureNames[1]] = [m.featureNames[1]!, m.featureNames[0]!];
      },
      /feature names differ.*position 0/,
    ],
    ['steps', (m) => (m.steps = 32), /steps 32/],
    ['intervals', (m) => (m.intervals = ['1h', '5m', '15m']), /intervals/],
    ['regime map', (m) => (m.regimes = [...m.regimes].reverse()), /regime map/],
    ['labeler version', (m) => (m.labeler.version = '0.0.1'), /labeler 0\.0\.1/],
    [
      'labeler-1 artifact (older layout too)',
      (m) => {
        m.labeler.version = '1.0.0';
        (m as { format: number }).format = 2;
        delete (m.labeler.params as Partial<typeof m.labeler.params>).segmentation;
      },
      /trained with labeler 1\.0\.0, this build labels with 2\.0\.0.*retrain/,
    ],
    ['features version', (m) => (m.featuresVersion = 1), /features version 1/],
    ['calendar inputs', (m) => (m.calendarNames = ['weekend']), /calendar inputs \[weekend\]/],
    ['format', (m) => ((m as { format: number }).format = 99), /format 99/],
    [
      'input layout (format 3: window and calendar only)',
      (m) => ((m as { format: number }).format = 3),
      /format 3 \(inputs: window \(64 × 36\) \+ calendar\); this build reads format 4 \(inputs: .*view_summary.*\): retrain/,
    ],
    [
      'labeler view',
      (m) => {
        m.view.summaryNames = [...m.view.summaryNames].reverse();
      },
      /labeler view summary differs/,
    ],
    ['a missing field', (m) => delete (m as Partial<ModelMetadata>).training, /metadata\.json: training/],
  ];

  it.each(cases)('refuses a mismatched %s with a clear error', async (_name, change, message) => {
    const copy = await tamperedCopy(change);
    const error = await loadRegimeModel(copy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a folder without a model', async () => {
    await expect(loadRegimeModel(join(dir, 'nowhere'))).rejects.toThrow(/cannot read metadata\.json/);
  });

  it('refuses inputs the model was not trained on', async () => {
    const model = await loadRegimeModel(join(dir, 'model'));
    const [input] = modelInputs([Date.UTC(2024, 0, 25)]);
    const w = input!.window;
    const refused = (changed: Partial<ModelInput>) => model.predict([{ ...input!, ...changed }]);
    await expect(refused({ window: { ...w, featureNames: [...FEATURE_NAMES].reverse() } })).rejects.toThrow(
      /feature names/,
    );
    await expect(
      refused({ window: { ...w, steps: 32, values: w.values.subarray(0, 32 * 36) } }),
    ).rejects.toThrow(/32 steps/);
    const values = Float64Array.from(w.values);
    values[5] = Number.NaN;
    await expect(refused({ window: { ...w, values } })).rejects.toThrow(/non-finite/);
    const bars = Float64Array.from(input!.view.bars);
    bars[7] = Number.POSITIVE_INFINITY;
    await expect(refused({ view: { ...input!.view, bars } })).rejects.toThrow(
      /view's bars value 7 is not finite/,
    );
    await expect(refused({ view: { ...input!.view, asOf: w.asOf - 300_000 } })).rejects.toThrow(
      /labeler view is as of/,
    );
    model.dispose();
  });
});
