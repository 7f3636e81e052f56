/**
 * `npm run bench -w packages/model`: single-window and batch-of-256 inference of the shipped model on
 * the inference kernel and on tfjs (WASM unless tfjs-node is installed) in the same run, on the same
 * scaled inputs; the whole RegimeModel.predict (checks + scaling + kernel); training throughput of
 * the same network; labeler 2 on four years of BTCUSDT and ETHUSDT from ../shared; and the labeler
 * view as of one instant, cold (17 days of evidence) and warm (a cache advancing one bar, as the
 * predictor does). Targets (issue 18): kernel single ≤ 0.5 ms, batch ≤ 0.1 ms a window; labelling < 30 s.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { FEATURE_NAMES, type FeatureWindow, WINDOW_STEPS } from '@regime/features';
import {
  BAR_MS,
  DEFAULT_LABELER_PARAMS,
  type LabelerView,
  labelerViewAsOf,
  labelReport,
  SeriesLabeler,
  VIEW_BAR_NAMES,
  VIEW_BARS,
  VIEW_SUMMARY_NAMES,
  ViewCache,
} from '@regime/labeler';
import { machineLoad } from '@regime/service';
import { readArtifact } from '../src/artifact.ts';
import { readInferenceArtifact } from '../src/artifact-files.ts';
import { CALENDAR_COUNT, calendarInputs } from '../src/calendar.ts';
import { fileCandleSource } from '../src/candle-source.ts';
import { defaultModelDir, loadRegimeModel, type ModelInput } from '../src/model.ts';
import { candleRange } from '../src/period-data.ts';
import { seededRandom } from '../src/rng.ts';
import { initTensorflow, tf } from '../src/tensorflow.ts';
import { trainNetwork } from '../src/train.ts';

const random = seededRandom(1);
const featureCount = FEATURE_NAMES.length;

const noise = (length: number) => Float64Array.from({ length }, () => random() - 0.5);

function randomInput(asOf: number): ModelInput {
  const window: FeatureWindow = {
    asOf,
    steps: WINDOW_STEPS,
    featureNames: FEATURE_NAMES,
    values: noise(WINDOW_STEPS * featureCount),
    stepEnds: [],
  };
  const view: LabelerView = {
    asOf,
    barClose: asOf,
    summary: noise(VIEW_SUMMARY_NAMES.length),
    bars: noise(VIEW_BARS * VIEW_BAR_NAMES.length),
  };
  return { window, view };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Median wall time and mean CPU time (user + system of this process) per call. On a shared machine
 * the wall time includes waiting for a core; the CPU time is what the call itself costs.
 */
async function timeMs(runs: number, f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  await f(); // warm-up: kernel set-up and first allocation are not part of steady-state latency
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { wall: median(times), cpu: (cpu.user + cpu.system) / 1000 / runs };
}

const { backend } = await initTensorflow();
const dir = defaultModelDir();
if (!existsSync(join(dir, 'metadata.json'))) {
  console.error(`no shipped model in ${dir}: train it first (see packages/model/README.md)`);
  process.exit(1);
}
const model = await loadRegimeModel(dir);
const network = model.metadata.network;
/** As-of instants 15 minutes apart, so the calendar inputs vary across a batch as in production. */
const asOf = (i: number) => Date.UTC(2025, 0, 1) + i * 900_000;
const one = [randomInput(asOf(0))];
const batch = Array.from({ length: 256 }, (_, i) => randomInput(asOf(i)));
const predictSingle = await timeMs(200, () => model.predict(one));
const predictBatch = await timeMs(20, () => model.predict(batch));
model.dispose();

// The network alone, kernel and tfjs on the same scaled inputs (what is left after RegimeModel's checks and scaling).
const { network: kernel } = await readInferenceArtifact(dir);
const { model: reference } = await readArtifact(dir);
const scaledInputs = (n: number) =>
  kernel.inputShapes.map((shape) => Float32Array.from(noise(n * shape.reduce((a, b) => a * b, 1))));
const kernelTimes = async (n: number, runs: number) => {
  const inputs = scaledInputs(n);
  return timeMs(runs, async () => kernel.predict(inputs, n));
};
const tfjsTimes = async (n: number, runs: number) => {
  const inputs = scaledInputs(n);
  return timeMs(runs, async () => {
    const tensors = inputs.map((x, i) => tf.tensor(x, [n, ...kernel.inputShapes[i]!]));
    const output = reference.predict(tensors) as tf.Tensor;
    await output.data();
    output.dispose();
    for (const t of tensors) t.dispose();
  });
};
const kernelSingle = await kernelTimes(1, 500);
const kernelBatch = await kernelTimes(256, 30);
const tfjsSingle = await tfjsTimes(1, 100);
const tfjsBatch = await tfjsTimes(256, 10);
reference.dispose();
const loadDuringInference = machineLoad();

// Training throughput of the shipped architecture on random inputs (one epoch of 2048 samples).
const n = 2048;
const f32 = (length: number) => Float32Array.from(noise(length));
const x = f32(n * WINDOW_STEPS * featureCount);
const viewSummary = f32(n * VIEW_SUMMARY_NAMES.length);
const viewBars = f32(n * VIEW_BARS * VIEW_BAR_NAMES.length);
const y = Uint8Array.from({ length: n }, () => Math.floor(random() * 6));
const calendar = calendarInputs(Array.from({ length: n }, (_, i) => asOf(i)));
const first = (k: number) => ({
  x: x.subarray(0, k * WINDOW_STEPS * featureCount),
  calendar: calendar.subarray(0, k * CALENDAR_COUNT),
  viewSummary: viewSummary.subarray(0, k * VIEW_SUMMARY_NAMES.length),
  viewBars: viewBars.subarray(0, k * VIEW_BARS * VIEW_BAR_NAMES.length),
  y: y.subarray(0, k),
  steps: WINDOW_STEPS,
  featureCount,
});
const trainingBatch = model.metadata.training.batchSize;
const trained = await trainNetwork(first(n), first(256), {
  network,
  learningRate: 0.002,
  batchSize: trainingBatch,
  maxEpochs: 1,
  patience: 1,
  classWeights: [1, 1, 1, 1, 1, 1],
});
trained.model.dispose();

/**
 * Labeler 2 over 2022-01-20 .. 2025-11-01 for both symbols: the segmentation of every bar and the
 * report over it (what `regime-model labels` does), reading the files timed apart.
 */
async function labelFourYears(): Promise<
  { readSeconds: number; labelSeconds: number; bars: number } | undefined
> {
  if (!hasSharedKlines()) return undefined;
  const source = fileCandleSource(sharedKlinesDir());
  const period = { from: Date.UTC(2022, 0, 20), to: Date.UTC(2025, 10, 1) };
  let readMs = 0;
  let labelMs = 0;
  let bars = 0;
  for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
    const t0 = performance.now();
    const history = await source.history(symbol, candleRange(period, DEFAULT_LABELER_PARAMS));
    const t1 = performance.now();
    bars += labelReport(new SeriesLabeler(history['5m'], DEFAULT_LABELER_PARAMS), period).labelledBars;
    readMs += t1 - t0;
    labelMs += performance.now() - t1;
  }
  return { readSeconds: readMs / 1000, labelSeconds: labelMs / 1000, bars };
}
const labelling = await labelFourYears();

/**
 * The labeler view of BTCUSDT as of one instant: cold (an empty cache: 17 days of bars' evidence) and
 * warm (the cache advanced bar by bar, so each view computes one new bar, as in the predictor).
 */
async function viewTimes(): Promise<{ coldMs: number; warmMs: number } | undefined> {
  if (!hasSharedKlines()) return undefined;
  const source = fileCandleSource(sharedKlinesDir());
  const start = Date.UTC(2025, 5, 1);
  const history = await source.history('BTCUSDT', {
    from: start - 20 * 86_400_000,
    to: start + 3 * 86_400_000,
  });
  const candles = history['5m'];
  const cold = await timeMs(5, async () => labelerViewAsOf(candles, start, DEFAULT_LABELER_PARAMS));
  const cache = new ViewCache();
  labelerViewAsOf(candles, start, DEFAULT_LABELER_PARAMS, cache);
  let bar = 0;
  const warm = await timeMs(200, async () => {
    bar++;
    labelerViewAsOf(candles, start + bar * BAR_MS, DEFAULT_LABELER_PARAMS, cache);
  });
  return { coldMs: cold.cpu, warmMs: warm.cpu };
}
const views = await viewTimes();

const perWindow = (t: { wall: number; cpu: number }, n: number) =>
  `${(t.wall / n).toFixed(3)} ms wall (median) / ${(t.cpu / n).toFixed(3)} ms CPU a window`;
console.log(`model bench (tfjs backend: ${backend}, model ${model.version}); ${machineLoad()}`);
console.log(`  inference of the network alone (same scaled inputs); ${loadDuringInference}`);
console.log(`    single window, kernel       ${perWindow(kernelSingle, 1)}  (target ≤ 0.5 ms)`);
console.log(`    single window, tfjs ${backend.padEnd(8)}${perWindow(tfjsSingle, 1)}`);
console.log(`    batch of 256, kernel        ${perWindow(kernelBatch, 256)}  (target ≤ 0.1 ms)`);
console.log(`    batch of 256, tfjs ${backend.padEnd(8)}${perWindow(tfjsBatch, 256)}`);
console.log(
  `  RegimeModel.predict (checks + scaling + kernel): one window ${predictSingle.wall.toFixed(3)} ms wall / ${predictSingle.cpu.toFixed(3)} ms CPU; 256: ${perWindow(predictBatch, 256)}`,
);
console.log(
  `  training throughput       ${trained.samplesPerSecond.toFixed(0)} samples/s  (LSTM ${network.units} over the view bars + dense ${network.hidden}, batch ${trainingBatch})`,
);
console.log(
  views
    ? `  labeler view as of T      cold ${views.coldMs.toFixed(2)} ms CPU (17 days of evidence), warm ${(views.warmMs * 1000).toFixed(0)} µs CPU (one new bar)`
    : `  labeler view as of T      skipped: no candle files at ${sharedKlinesDir()}`,
);
console.log(
  labelling
    ? `  labeler 2, 4 years × 2 symbols  ${labelling.labelSeconds.toFixed(1)} s (+ ${labelling.readSeconds.toFixed(1)} s reading the files), ${labelling.bars} bars  (target < 30 s)`
    : `  labeler 2, 4 years × 2 symbols  skipped: no candle files at ${sharedKlinesDir()}`,
);
