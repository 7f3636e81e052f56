import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthetic5m } from '@regime/candles/synthetic';
import { FEATURE_NAMES, featureWindows } from '@regime/features';
import { REGIMES } from '@regime/labeler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_FILES, ModelArtifactError, readArtifact, writeArtifact } from '../src/artifact.ts';
import { calendarInputs } from '../src/calendar.ts';
import { parseTrainConfig } from '../src/config.ts';
import { evaluateClassifiers } from '../src/evaluate.ts';
import type { ModelMetadata } from '../src/metadata.ts';
import { loadRegimeModel } from '../src/model.ts';
import { smokeMetrics, splitDataset, type TrainedArtifact, trainPipeline } from '../src/pipeline.ts';
import { applyScaler } from '../src/scaler.ts';
import { initTensorflow } from '../src/tensorflow.ts';
import { predictProbabilities } from '../src/train.ts';
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
    strideMinutes: { train: 60, validation: 60, test: 60 },
    model: { units: 8, maxEpochs: 2, patience: 2, batchSize: 32, seed: 7 },
    smoke: { symbol: 'TESTUSDT', from: '2024-01-25', to: '2024-01-25T12:00:00Z', strideMinutes: 60 },
  }),
  'inline.json',
);

let dir: string;
let trained: TrainedArtifact;

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
    expect(bias.validationMacroF1.lstmAfter).toBeGreaterThanOrEqual(bias.validationMacroF1.lstmBefore);
    expect(m.metrics.validation.macroF1).toBe(bias.validationMacroF1.lstmAfter);
    expect(trained.scaler.mean).toHaveLength(FEATURE_NAMES.length);
    expect(Object.values(m.training.classCounts).reduce((a, b) => a + b, 0)).toBe(m.training.samples.train);
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
    const windows = featureWindows(inputs[0]!.history, asOfs);
    const predictions = await model.predict(windows);
    const raw = new Float64Array(windows.flatMap((w) => Array.from(w.values)));
    const expected = predictProbabilities(trained.model, {
      x: applyScaler(trained.scaler, raw),
      calendar: calendarInputs(asOfs),
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
    await expect(model.predict(windows)).rejects.toThrow(/disposed/);
  });

  it('reproduces the smoke check recorded at training time from the saved artifact', async () => {
    const loaded = await readArtifact(join(dir, 'model'));
    const smoke = loaded.metadata.metrics.smoke!;
    const again = await smokeMetrics(
      loaded.model,
      loaded.scaler,
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

  it('evaluates the LSTM and every baseline on the same samples', async () => {
    const { dataset } = await splitDataset(
      inputs,
      { from: Date.parse('2024-01-25'), to: Date.parse('2024-01-26') },
      60,
      trained.metadata.labeler.params,
    );
    const results = evaluateClassifiers(
      trained.model,
      trained.scaler,
      trained.baselines,
      dataset,
      60,
      trained.metadata.decision,
    );
    for (const r of Object.values(results)) {
      expect(r.samples).toBe(dataset.size);
      expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(dataset.size);
    }
    expect(results.lstm.ece).not.toBeNull();
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

  it('refuses windows the model was not trained on', async () => {
    const model = await loadRegimeModel(join(dir, 'model'));
    const [w] = featureWindows(inputs[0]!.history, [Date.UTC(2024, 0, 25)]);
    await expect(model.predict([{ ...w!, featureNames: [...FEATURE_NAMES].reverse() }])).rejects.toThrow(
      /feature names/,
    );
    await expect(
      model.predict([{ ...w!, steps: 32, values: w!.values.subarray(0, 32 * 36) }]),
    ).rejects.toThrow(/32 steps/);
    const values = Float64Array.from(w!.values);
    values[5] = Number.NaN;
    await expect(model.predict([{ ...w!, values }])).rejects.toThrow(/non-finite/);
    model.dispose();
  });
});
